/**
 * `attention-lens surprisal`: how surprised the model is by each token of a text, and what
 * it expected instead. JSON: `{"token_ids", "tokens", "surprisal": [T] (nats, null for the
 * first token), "top": [T][K] {"id", "text", "prob"}}` — row i of `top` predicts token i+1.
 * A text longer than the context is read in sliding windows (analysisWindows.ts; --stride), and
 * the JSON then also has "stride" and "windows" as `attention --json` has them.
 */

import { meanSurprisal, surprisalAndPredictions } from '../../engine';
import { parseArgs, UsageError } from '../args';
import { table, visibleToken, type Output } from '../output';
import { windowCount } from '../../protocol/contextWindows';
import { INPUT_FLAGS, INPUT_VALUES, openAnalysisInput, predictionsJson, predictionsLine, topOption, type PredictionJson } from './analysisInput';
import { analysisPlan, forEachQueryWindow, windowsJson } from './analysisWindows';
import { tokensJson } from './model';

/** Predictions (tokens × --top) one run lists. */
const MAX_PREDICTIONS = 5_000_000;

export const SURPRISAL_OPTIONS = { values: [...INPUT_VALUES, 'top'], flags: [...INPUT_FLAGS] };

export async function surprisalCommand(argv: readonly string[], out: Output): Promise<void> {
  const args = parseArgs(argv, SURPRISAL_OPTIONS);
  const k = topOption(args);
  const { model, tokenizer, enc } = await openAnalysisInput(args, out);
  const T = enc.ids.length;
  // Every token's top-k is held for the JSON: a long text with a large --top is refused, not run out of memory.
  if (T * k > MAX_PREDICTIONS)
    throw new UsageError(`--top ${k} over ${T} tokens would list ${T * k} predictions; at most ${MAX_PREDICTIONS} (use a smaller --top or a shorter text)`);
  const plan = analysisPlan(model, T, args);
  // Each token's surprisal from the window that reads it as a query; row i's top-k from the
  // window its next token's surprisal comes from (predictionWindow), so the two agree.
  const surprisal = new Float64Array(T).fill(NaN);
  const nextRank = new Int32Array(T);
  const top: PredictionJson[][] = new Array(T);
  let kk = k;
  forEachQueryWindow(
    plan,
    enc.ids,
    (slice) => surprisalAndPredictions(model, slice, k),
    (r, w, from, to) => {
      kk = r.k;
      for (let t = from; t < to; t++) surprisal[t] = r.surprisal[t - w.start]!;
      for (let i = Math.max(0, from - 1); i < (to === T ? T : to - 1); i++) {
        top[i] = predictionsJson(tokenizer, r.topIds, r.topProbs, i - w.start, r.k);
        nextRank[i] = r.nextRank[i - w.start]!;
      }
    },
    out,
  );
  const windows = windowCount(plan);

  if (out.json) {
    out.jsonLine({
      token_ids: Array.from(enc.ids),
      tokens: tokensJson(enc),
      surprisal: Array.from(surprisal, (s, i) => (i === 0 ? null : s)),
      top,
      ...(windows > 1 ? { stride: plan.stride, windows: windowsJson(plan) } : {}),
    });
    return;
  }
  const rows = enc.tokens.map((tok, i) => [
    i,
    visibleToken(tok.text),
    i === 0 ? '–' : surprisal[i]!.toFixed(3),
    i === 0 ? '–' : String(nextRank[i - 1]),
    predictionsLine(top[i]!, visibleToken),
  ]);
  const read = windows > 1 ? `, read in ${windows} windows of ${plan.context} tokens, ${plan.stride} apart` : '';
  out.line(`${T} tokens${read}; mean surprisal ${T > 1 ? meanSurprisal(surprisal).toFixed(3) : '–'} nats per token (tokens 1 to ${T - 1}).`);
  out.line(table(['#', 'token', 'surprisal', 'rank', `top ${kk} guesses for the next token`], rows));
  out.line('surprisal = −ln p(token | tokens before it); rank = where the model ranked it (1 = its top guess).');
}
