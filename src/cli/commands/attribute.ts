/**
 * `attention-lens attribute`: which input tokens a prediction rests on. For position I:
 * integrated gradients (default; --steps N, midpoint sums) or gradient × input over the
 * token embeddings, f = log p(target), target = token I+1 or --target ID.
 * JSON: `{"position", "target": {"id", "logprob"}, "baseline_logprob", "attributions": [I+1]}`.
 * In a text longer than the context the prediction is read in one window (analysisWindows.ts):
 * tokens before it get null and `"window": {"start", "end"}` is added.
 */

import { checkPredictingPosition, gradientTimesInput, integratedGradients } from '../../engine';
import { intOption, parseArgs, UsageError } from '../args';
import { table, visibleToken, type Output } from '../output';
import { INPUT_FLAGS, INPUT_VALUES, openAnalysisInput, positionOption, tokenText } from './analysisInput';
import { positionWindow } from './analysisWindows';

export const ATTRIBUTE_OPTIONS = { values: [...INPUT_VALUES, 'position', 'method', 'steps', 'target'], flags: [...INPUT_FLAGS] };

export async function attributeCommand(argv: readonly string[], out: Output): Promise<void> {
  const args = parseArgs(argv, ATTRIBUTE_OPTIONS);
  const position = positionOption(args);
  const method = args.values.get('method') ?? 'ig';
  if (method !== 'ig' && method !== 'grad') throw new UsageError(`--method must be ig or grad, got "${method}"`);
  if (method === 'grad' && args.values.has('steps')) throw new UsageError('--steps applies to --method ig');
  const steps = intOption(args, 'steps', 1, 4096) ?? 64;
  const target = intOption(args, 'target', 0, 2 ** 31 - 1);
  const { model, tokenizer, enc } = await openAnalysisInput(args, out);
  if (target === undefined) checkPredictingPosition(position, enc.ids.length);
  const at = positionWindow(model, enc.ids, position, args);
  const r = method === 'ig' ? integratedGradients(model, at.ids, at.local, { steps, target }) : gradientTimesInput(model, at.ids, at.local, { target });
  // Tokens before the window are not read: null in the JSON, left out of the table.
  const attributions = [...new Array<null>(at.window.start).fill(null), ...Array.from(r.attributions)];

  // Integrated gradients should add up to log p − baseline; when they do not, the path is not resolved.
  const delta = r.logProb - r.baselineLogProb;
  const unresolved =
    method === 'ig' && !(Math.abs(r.completenessGap) <= 0.01 * Math.max(Math.abs(delta), 1e-3))
      ? `the attributions add up to ${(r.completenessGap + delta).toFixed(4)}, not log p − baseline ${delta.toFixed(4)} (they differ by ${Math.abs(r.completenessGap).toPrecision(3)}): the path from zero embeddings is not resolved at ${steps} steps${model.config.positional === 'learned' ? '; try more --steps' : ' (without learned positions the zero baseline is an all-zero residual stream, where the model is erratic; read the attributions as relative, or use --method grad)'}`
      : null;

  if (out.json) {
    out.jsonLine({
      position,
      target: { id: r.target, logprob: r.logProb },
      baseline_logprob: r.baselineLogProb,
      attributions,
      method,
      ...(method === 'ig' ? { steps, completeness_gap: r.completenessGap } : {}),
      ...(unresolved ? { warning: unresolved } : {}),
      ...(at.json ? { window: at.json } : {}),
    });
    return;
  }
  const what = method === 'ig' ? `integrated gradients, ${steps} steps` : 'gradient × input';
  out.line(
    `Position ${position} → ${visibleToken(tokenText(tokenizer, r.target))}: log p = ${r.logProb.toFixed(4)}, with zero token embeddings ${r.baselineLogProb.toFixed(4)} (${what}${at.json ? `; read in tokens ${at.json.start}–${at.json.end - 1}` : ''}).`,
  );
  const max = Math.max(1e-12, ...Array.from(r.attributions, Math.abs));
  const rows = Array.from(r.attributions, (a, j) => {
    const i = at.window.start + j;
    const bar = '█'.repeat(Math.round((Math.abs(a) / max) * 20));
    return [i, visibleToken(enc.tokens[i]?.text ?? ''), (a >= 0 ? '+' : '') + a.toFixed(4), a >= 0 ? bar : '', a < 0 ? bar : ''];
  });
  out.line(table(['#', 'token', 'attribution', 'for', 'against'], rows));
  if (method === 'ig') {
    const sum = r.attributions.reduce((s, a) => s + a, 0);
    out.line(`Σ attributions ${sum.toFixed(4)} vs log p − baseline ${delta.toFixed(4)}.`);
    if (unresolved) out.line(`Warning: ${unresolved}.`);
  }
}
