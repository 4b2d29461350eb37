/**
 * `attention-lens ablate`: switch heads off and see what the model loses.
 * `--heads L.H[,L.H…] [--mode zero|mean]` → `{"heads": [[l,h]…], "mode", "loss_before",
 * "loss_after", "surprisal_before": [T], "surprisal_after": [T]}` (null for the first token);
 * `--sweep --position I` → `{"position", "target": {"id", "logprob"}, "effects": [L][H]}`,
 * the change of log p(token I+1) with each head alone zeroed. A text longer than the context is
 * read in sliding windows (analysisWindows.ts): --heads adds "stride" and "windows", --sweep
 * "window".
 */

import { ablationSweep, ablateHeads, checkPredictingPosition, meanSurprisal, type AblationMode, type HeadRef, type Transformer } from '../../engine';
import { windowCount, type WindowPlan } from '../../protocol/contextWindows';
import { parseArgs, UsageError, type ParsedArgs } from '../args';
import { table, visibleToken, type Output } from '../output';
import { INPUT_FLAGS, INPUT_VALUES, openAnalysisInput, positionOption, tokenText } from './analysisInput';
import { analysisPlan, forEachQueryWindow, positionWindow, windowsJson } from './analysisWindows';

export const ABLATE_OPTIONS = { values: [...INPUT_VALUES, 'heads', 'mode', 'position'], flags: [...INPUT_FLAGS, 'sweep'] };

/** "0.1,2.3" → [{layer 0, head 1}, {layer 2, head 3}]; existence is checked against the model later. */
export function parseHeads(raw: string): HeadRef[] {
  const parts = raw.split(',').map((s) => s.trim());
  return parts.map((p) => {
    const m = /^(\d+)\.(\d+)$/.exec(p);
    if (!m) throw new UsageError(`--heads takes LAYER.HEAD pairs separated by commas (e.g. 0.1,2.3); "${p}" is not one`);
    return { layer: Number(m[1]), head: Number(m[2]) };
  });
}

function modeOption(args: ParsedArgs): AblationMode {
  const mode = args.values.get('mode') ?? 'zero';
  if (mode !== 'zero' && mode !== 'mean') throw new UsageError(`--mode must be zero or mean, got "${mode}"`);
  return mode;
}

const nullFirst = (xs: Float64Array): (number | null)[] => Array.from(xs, (s, i) => (i === 0 ? null : s));

/**
 * `ablateHeads` over each window, each token's surprisal (before and after) read in the window
 * that reads it as a query; the losses are the means over the whole text. A "mean" ablation
 * replaces a head by its mean output over its window's positions.
 */
function ablateInWindows(model: Transformer, ids: Int32Array, heads: readonly HeadRef[], mode: AblationMode, plan: WindowPlan, out: Output) {
  const T = ids.length;
  const before = new Float64Array(T).fill(NaN);
  const after = new Float64Array(T).fill(NaN);
  let checked: readonly HeadRef[] = heads;
  forEachQueryWindow(
    plan,
    ids,
    (slice) => ablateHeads(model, slice, heads, mode),
    (r, w, from, to) => {
      checked = r.heads;
      for (let t = from; t < to; t++) {
        before[t] = r.surprisalBefore[t - w.start]!;
        after[t] = r.surprisalAfter[t - w.start]!;
      }
    },
    out,
  );
  const windows = windowCount(plan) > 1 ? { stride: plan.stride, list: windowsJson(plan) } : null;
  return { heads: checked, mode, lossBefore: meanSurprisal(before), lossAfter: meanSurprisal(after), surprisalBefore: before, surprisalAfter: after, windows };
}

export async function ablateCommand(argv: readonly string[], out: Output): Promise<void> {
  const args = parseArgs(argv, ABLATE_OPTIONS);
  const sweep = args.flags.has('sweep');
  const headsRaw = args.values.get('heads');
  if (sweep === (headsRaw !== undefined)) throw new UsageError('give either --heads L.H[,L.H…] or --sweep --position I');
  if (sweep) {
    if (args.values.has('mode')) throw new UsageError('--mode applies to --heads; the sweep zeroes each head in turn');
    const position = positionOption(args);
    const { model, tokenizer, enc } = await openAnalysisInput(args, out, 2);
    checkPredictingPosition(position, enc.ids.length);
    const at = positionWindow(model, enc.ids, position, args);
    const s = ablationSweep(model, at.ids, at.local);
    const effects = Array.from({ length: s.layers }, (_, l) => Array.from(s.effects.subarray(l * s.heads, (l + 1) * s.heads)));
    if (out.json) {
      out.jsonLine({ position, target: { id: s.target, logprob: s.logProb }, effects, ...(at.json ? { window: at.json } : {}) });
      return;
    }
    out.line(
      `Position ${position}${at.json ? ` (read in tokens ${at.json.start}–${at.json.end - 1})` : ''}: the next token is ${visibleToken(tokenText(tokenizer, s.target))}, log p = ${s.logProb.toFixed(3)} (p = ${Math.exp(s.logProb).toPrecision(3)}).`,
    );
    out.line('Change of log p with each head alone zeroed (negative = the model needs that head here):');
    const header = ['layer', ...Array.from({ length: s.heads }, (_, h) => `h${h}`)];
    out.line(
      table(
        header,
        effects.map((row, l) => [String(l), ...row.map((x) => (x >= 0 ? '+' : '') + x.toFixed(3))]),
      ),
    );
    return;
  }
  if (args.values.has('position')) throw new UsageError('--position applies to --sweep; --heads ablates over the whole text');
  const heads = parseHeads(headsRaw ?? '');
  const mode = modeOption(args);
  const { model, enc } = await openAnalysisInput(args, out, 2);
  const r = ablateInWindows(model, enc.ids, heads, mode, analysisPlan(model, enc.ids.length, args), out);
  if (out.json) {
    out.jsonLine({
      heads: r.heads.map((h) => [h.layer, h.head]),
      mode: r.mode,
      loss_before: r.lossBefore,
      loss_after: r.lossAfter,
      surprisal_before: nullFirst(r.surprisalBefore),
      surprisal_after: nullFirst(r.surprisalAfter),
      ...(r.windows ? { stride: r.windows.stride, windows: r.windows.list } : {}),
    });
    return;
  }
  const names = r.heads.map((h) => `${h.layer}.${h.head}`).join(', ');
  out.line(
    `Heads ${names} ${mode === 'zero' ? 'zeroed' : 'replaced by their mean output'}: loss ${r.lossBefore.toFixed(4)} → ${r.lossAfter.toFixed(4)} nats per token (${r.lossAfter >= r.lossBefore ? '+' : ''}${(r.lossAfter - r.lossBefore).toFixed(4)}).`,
  );
  const rows = enc.tokens.map((tok, i) => {
    if (i === 0) return [i, visibleToken(tok.text), '–', '–', '–'];
    const b = r.surprisalBefore[i]!,
      a = r.surprisalAfter[i]!;
    return [i, visibleToken(tok.text), b.toFixed(3), a.toFixed(3), (a - b >= 0 ? '+' : '') + (a - b).toFixed(3)];
  });
  out.line(table(['#', 'token', 'before', 'after', 'change'], rows));
}
