/**
 * `generate --attention`: generation that shows what the model saw at every step. With --json,
 * one line per generated token `{"step", "id", "text", "prob", "top": [K] {"id", "text", "prob"},
 * "attention": [L][H][t+1]}` (the attention row of the query at position t — the one that
 * predicted this token — over positions 0..t), streamed as the tokens come; the caller prints
 * the summary object after them. For people: the text as it comes, then a table per token.
 */

import { generationSteps, Rng, TokenTextStream, type Tokenizer, type Transformer } from '../../engine';
import { printableText, table, visibleToken, type Output } from '../output';
import { LiveText } from '../liveText';
import { formatPercent, predictionsJson, predictionsLine, tokenText } from './analysisInput';

export interface AttentionGenerationInput {
  readonly model: Transformer;
  readonly tokenizer: Tokenizer;
  readonly promptIds: Int32Array;
  readonly maxTokens: number;
  readonly temperature: number;
  readonly topP: number;
  readonly seed: number;
  readonly stopIds: readonly number[];
  readonly vocabLimit: number;
  readonly topK: number;
  /** Print each token's line (--attention); false: only the text as it comes (--top-p alone). */
  readonly trace: boolean;
}

/** Runs the generation, printing as it goes; returns the generated ids. */
export function generateWithAttention(g: AttentionGenerationInput, out: Output): number[] {
  const { model, tokenizer, promptIds } = g;
  const { nLayers: L, nHeads: H } = model.config;
  const generated: number[] = [];
  const rows: (string | number)[][] = [];
  const stream = new TokenTextStream(tokenizer, promptIds);
  // The text for people, written once a display frame, as plain `generate` writes it.
  const live = new LiveText();
  const steps = generationSteps(model, promptIds, {
    maxTokens: g.maxTokens,
    temperature: g.temperature,
    topP: g.topP,
    rng: new Rng(g.seed),
    stopIds: g.stopIds,
    vocabLimit: g.vocabLimit,
    topK: g.topK,
  });
  for (const s of steps) {
    generated.push(s.id);
    // The text a token adds to the output (a piece's leading space after BOS is dropped by decode, as printed).
    const text = stream.push(s.id);
    const top = predictionsJson(tokenizer, s.topIds, s.topProbs, 0, s.topIds.length);
    const keys = s.position + 1;
    if (!g.trace) {
      if (!out.json) live.add(printableText(text));
      continue;
    }
    if (out.json) {
      const attention = Array.from({ length: L }, (_, l) =>
        Array.from({ length: H }, (_, h) => Array.from(s.attention.subarray((l * H + h) * keys, (l * H + h + 1) * keys))),
      );
      out.jsonLine({ step: s.step, id: s.id, text, prob: s.prob, top, attention });
      continue;
    }
    live.add(printableText(text));
    rows.push([
      s.step,
      visibleToken(text || tokenText(tokenizer, s.id)), // a byte token's character comes with the next token
      formatPercent(s.prob),
      predictionsLine(top, visibleToken),
      mostAttended(s.attention, L, H, keys, tokenizer, promptIds, generated),
    ]);
  }
  if (!out.json) {
    live.add(printableText(stream.flush()));
    live.flush();
  }
  if (!out.json && g.trace) {
    out.line();
    out.line();
    out.line(table(['step', 'token', 'p', `top ${g.topK}`, `most attended (layer ${L - 1}, mean of ${H} heads)`], rows));
  }
  return generated;
}

/** The earlier token the last layer attends to most, averaged over heads, for people. */
function mostAttended(
  attention: Float32Array,
  L: number,
  H: number,
  keys: number,
  tokenizer: Tokenizer,
  prompt: Int32Array,
  generated: readonly number[],
): string {
  let best = 0;
  let bestWeight = -1;
  for (let j = 0; j < keys; j++) {
    let w = 0;
    for (let h = 0; h < H; h++) w += attention[((L - 1) * H + h) * keys + j]! / H;
    if (w > bestWeight) [best, bestWeight] = [j, w];
  }
  const id = best < prompt.length ? prompt[best]! : generated[best - prompt.length]!;
  return `#${best} ${visibleToken(tokenText(tokenizer, id))} ${formatPercent(bestWeight)}`;
}
