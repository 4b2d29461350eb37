/**
 * `attention-lens lens`: the logit lens at one position — the top-k next-token predictions
 * read out of the residual stream after every layer (final norm + unembedding).
 * JSON: `{"position", "layers": [L] of [K] {"id", "text", "prob"}}`; the last row is the
 * model's own prediction. In a text longer than the context, the window the position's
 * prediction is read in (analysisWindows.ts) is added as `"window": {"start", "end"}`.
 */

import { logitLens } from '../../engine';
import { parseArgs } from '../args';
import { table, visibleToken, type Output } from '../output';
import { INPUT_FLAGS, INPUT_VALUES, openAnalysisInput, positionOption, predictionsJson, predictionsLine, topOption } from './analysisInput';
import { positionWindow } from './analysisWindows';

export const LENS_OPTIONS = { values: [...INPUT_VALUES, 'position', 'top'], flags: [...INPUT_FLAGS] };

export async function lensCommand(argv: readonly string[], out: Output): Promise<void> {
  const args = parseArgs(argv, LENS_OPTIONS);
  const position = positionOption(args);
  const k = topOption(args);
  const { model, tokenizer, enc } = await openAnalysisInput(args, out);
  const at = positionWindow(model, enc.ids, position, args);
  const r = logitLens(model, at.ids, at.local, k);
  const layers = Array.from({ length: r.layers }, (_, l) => predictionsJson(tokenizer, r.topIds, r.topProbs, l, r.k));

  if (out.json) {
    out.jsonLine({ position, layers, ...(at.json ? { window: at.json } : {}) });
    return;
  }
  const tok = enc.tokens[position];
  const next = enc.tokens[position + 1];
  const read = at.json ? `, read in tokens ${at.json.start}–${at.json.end - 1}` : '';
  out.line(
    `Logit lens at position ${position} (${visibleToken(tok?.text ?? '')})${read}${next ? `; the actual next token is ${visibleToken(next.text)}` : ''}.`,
  );
  out.line(
    table(
      ['after layer', `top ${r.k}`],
      layers.map((row, l) => [l, predictionsLine(row, visibleToken)]),
    ),
  );
  out.line(`The row after layer ${r.layers - 1} is the model's own prediction.`);
}
