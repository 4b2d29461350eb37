/**
 * `attention-lens surprisal`: how surprised the model is by each token of a text, and what
 * it expected instead. JSON: `{"token_ids", "tokens", "surprisal": [T] (nats, null for the
 * first token), "top": [T][K] {"id", "text", "prob"}}` — row i of `top` predicts token i+1.
 */

import { meanSurprisal, surprisalAndPredictions } from '../../engine';
import { parseArgs } from '../args';
import { table, visibleToken, type Output } from '../output';
import { INPUT_FLAGS, INPUT_VALUES, openAnalysisInput, predictionsJson, predictionsLine, topOption } from './analysisInput';
import { tokensJson } from './model';

export const SURPRISAL_OPTIONS = { values: [...INPUT_VALUES, 'top'], flags: [...INPUT_FLAGS] };

export async function surprisalCommand(argv: readonly string[], out: Output): Promise<void> {
  const args = parseArgs(argv, SURPRISAL_OPTIONS);
  const k = topOption(args);
  const { model, tokenizer, enc } = await openAnalysisInput(args, out);
  const r = surprisalAndPredictions(model, enc.ids, k);
  const T = r.length;
  const top = Array.from({ length: T }, (_, t) => predictionsJson(tokenizer, r.topIds, r.topProbs, t, r.k));

  if (out.json) {
    out.jsonLine({
      token_ids: Array.from(enc.ids),
      tokens: tokensJson(enc),
      surprisal: Array.from(r.surprisal, (s, i) => (i === 0 ? null : s)),
      top,
    });
    return;
  }
  const rows = enc.tokens.map((tok, i) => [
    i,
    visibleToken(tok.text),
    i === 0 ? '–' : r.surprisal[i]!.toFixed(3),
    i === 0 ? '–' : String(r.nextRank[i - 1]),
    predictionsLine(top[i]!, visibleToken),
  ]);
  out.line(`${T} tokens; mean surprisal ${T > 1 ? meanSurprisal(r.surprisal).toFixed(3) : '–'} nats per token (tokens 1 to ${T - 1}).`);
  out.line(table(['#', 'token', 'surprisal', 'rank', `top ${r.k} guesses for the next token`], rows));
  out.line('surprisal = −ln p(token | tokens before it); rank = where the model ranked it (1 = its top guess).');
}
