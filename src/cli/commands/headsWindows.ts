/**
 * `heads` over a text of any length: each of the text's sliding context windows (the plan of
 * src/protocol/contextWindows.ts, as `attention` and the debugging commands read long texts) is run
 * through the model once and its heads summarised (engine summarizeHeads, and the custom detector
 * when given); a head's score over the text is the mean of its window scores weighted by the
 * number of query positions each window scores (its tokens: every row of its pattern counts).
 * A text that fits in one window gets that window's summary itself, untouched.
 */

import { detectHead, rulePattern, summarizeHeads, HEAD_KINDS, type HeadSummary, type PatternRule, type Transformer } from '../../engine';
import { allWindows, type WindowPlan } from '../../protocol/contextWindows';
import type { Output } from '../output';

export interface CustomScoring {
  readonly rule: PatternRule;
  readonly method: 'mul' | 'abs';
}

export interface WindowedHeads {
  readonly summary: HeadSummary;
  /** The custom detector's [L, H] scores, or null without one. */
  readonly custom: Float64Array | null;
  /** Windows that were scored (a window of a single token has no pattern and is left out). */
  readonly scoredWindows: number;
}

export function headsInWindows(
  model: Transformer,
  ids: Int32Array,
  plan: WindowPlan,
  tokenTypes: Int32Array | undefined,
  custom: CustomScoring | null,
  out: Output,
): WindowedHeads {
  const H = model.config.nHeads;
  const causal = plan.causal;
  const parts: { summary: HeadSummary; custom: Float64Array | null; weight: number }[] = [];
  const scoreWindow = (start: number, length: number): (typeof parts)[number] => {
    const slice = ids.subarray(start, start + length);
    const r = model.forward(null, slice, 1, length, { tokenTypes: tokenTypes?.subarray(start, start + length), capture: { attention: true } });
    const layers = r.layers.map((l, i) => {
      if (!l.attention) throw new Error(`the model returned no attention weights for layer ${i}`);
      return l.attention;
    });
    const summary = summarizeHeads(layers, H, slice, { causal });
    const scores = custom
      ? detectHead([{ layers, heads: H, tokens: slice }], rulePattern(custom.rule, slice, causal), { method: custom.method, causal }).scores
      : null;
    return { summary, custom: scores, weight: length };
  };
  const list = allWindows(plan);
  for (const w of list) {
    if (w.length >= 2) parts.push(scoreWindow(w.start, w.length));
    if (list.length > 1) out.progress(w.index + 1, list.length, 'windows');
  }
  out.endProgress();
  if (parts.length === 1) return { summary: parts[0]!.summary, custom: parts[0]!.custom, scoredWindows: 1 };
  const total = parts.reduce((n, p) => n + p.weight, 0);
  const mean = (pick: (s: HeadSummary) => Float64Array): Float64Array =>
    weighted(
      parts.map((p) => [pick(p.summary), p.weight]),
      total,
    );
  const first = parts[0]!.summary;
  const summary: HeadSummary = {
    layers: first.layers,
    heads: first.heads,
    tokens: ids.length,
    scores: Object.fromEntries(HEAD_KINDS.map((k) => [k, mean((s) => s.scores[k])])) as HeadSummary['scores'],
    entropy: mean((s) => s.entropy),
    keys50: mean((s) => s.keys50),
    keys90: mean((s) => s.keys90),
    ...(first.nextToken ? { nextToken: mean((s) => s.nextToken!) } : {}),
  };
  const customMean = custom
    ? weighted(
        parts.map((p) => [p.custom!, p.weight]),
        total,
      )
    : null;
  return { summary, custom: customMean, scoredWindows: parts.length };
}

/** Σ w·x / Σ w, elementwise. */
function weighted(values: readonly (readonly [Float64Array, number])[], total: number): Float64Array {
  const out = new Float64Array(values[0]![0].length);
  for (const [x, w] of values) for (let i = 0; i < out.length; i++) out[i] = out[i]! + w * x[i]!;
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / total;
  return out;
}
