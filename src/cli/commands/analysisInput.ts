/**
 * What the debugging commands (surprisal, lens, ablate, attribute) share: the model and
 * the text's tokens — read exactly as `attention` reads them (--text, --file or --ids, through
 * inputEncoding) —
 * checked for length, plus --position and the `{"id", "text", "prob"}` shape of a
 * predicted token.
 */

import { isCausal, type Encoding, type Tokenizer } from '../../engine';
import type { LoadedModel } from '../../node/loadModel';
import { intOption, UsageError, type ParsedArgs } from '../args';
import { inputEncoding } from '../inputText';
import type { Output } from '../output';
import { MAX_ANALYSIS_TOKENS } from './analysisWindows';
import { openModel, TextTooLongError } from './model';

/** Options every debugging command takes (beside its own). */
export const INPUT_VALUES = ['checkpoint', 'tokenizer', 'text', 'file', 'ids', 'stride'] as const;
export const INPUT_FLAGS = ['json', 'allow-special'] as const;

export interface AnalysisInput extends LoadedModel {
  readonly enc: Encoding;
}

/**
 * Opens the model and encodes the text; refuses an empty text. A causal model reads a text
 * longer than its context in sliding windows (analysisWindows.ts), up to MAX_ANALYSIS_TOKENS; a
 * bidirectional one, whose predictions are not next-token ones, reads at most its context.
 */
export async function openAnalysisInput(args: ParsedArgs, out: Output, minTokens = 1): Promise<AnalysisInput> {
  const loaded = await openModel(args, out);
  const C = loaded.model.config.contextLength;
  const windowed = isCausal(loaded.model.config);
  const limit = windowed ? MAX_ANALYSIS_TOKENS : C;
  const reads = windowed ? `the debugging commands read at most ${limit} tokens (in windows of ${C})` : undefined;
  // The bound is checked on a prefix first: a 60 MB text is not encoded whole to be refused.
  const enc = inputEncoding(args, loaded.tokenizer, { allowSpecial: args.flags.has('allow-special') }, limit, reads);
  const T = enc.ids.length;
  if (T < minTokens) throw new UsageError(`the text encodes to ${T} token${T === 1 ? '' : 's'}; this command needs at least ${minTokens}`);
  if (T > limit) throw new TextTooLongError(T, limit, undefined, reads);
  return { ...loaded, enc };
}

/** --position I, required, an integer (the range is checked by the analysis, which knows the text). */
export function positionOption(args: ParsedArgs): number {
  const p = intOption(args, 'position', -(2 ** 31), 2 ** 31);
  if (p === undefined) throw new UsageError('--position I is required (the index of a token, 0 = the first)');
  return p;
}

/** --top K (default 5), at least 1; clamped to the vocabulary by the analyses. */
export function topOption(args: ParsedArgs): number {
  return intOption(args, 'top', 1, 1000) ?? 5;
}

/** A token's readable text, also for ids of a model vocabulary padded beyond the tokenizer's. */
export function tokenText(tokenizer: Tokenizer, id: number): string {
  return id >= 0 && id < tokenizer.vocabSize ? tokenizer.tokenLabel(id) : `<id ${id}>`;
}

export interface PredictionJson {
  readonly id: number;
  readonly text: string;
  readonly prob: number;
}

/** Row `row` of top-k arrays as JSON objects. */
export function predictionsJson(tokenizer: Tokenizer, ids: Int32Array, probs: Float64Array, row: number, k: number): PredictionJson[] {
  return Array.from({ length: k }, (_, j) => {
    const id = ids[row * k + j]!;
    return { id, text: tokenText(tokenizer, id), prob: probs[row * k + j]! };
  });
}

/** "tok 45%, other 12%" for people. */
export function predictionsLine(predictions: readonly PredictionJson[], visible: (s: string) => string): string {
  return predictions.map((p) => `${visible(p.text)} ${formatPercent(p.prob)}`).join(', ');
}

export function formatPercent(p: number): string {
  const pct = p * 100;
  return pct >= 10 ? `${pct.toFixed(0)}%` : pct >= 0.1 ? `${pct.toFixed(1)}%` : `${pct.toPrecision(1)}%`;
}
