/**
 * The stories260K reference attention computed by llama2.c's run.c
 * (../shared/fixtures/stories260K/attention_logits_*.json), and what the editor should show
 * for it, written here from the documented behaviour rather than taken from our code:
 * character spans of the tokens in the prompt, and the highlight bucket of each weight
 * (README "In the editor" and the `attentionLens.attention.*` settings: with 'rowMax' the
 * strongest shown weight fills the top of BUCKETS colours, weights under the threshold are
 * not shown, the first token can be left out of both).
 */

import * as fs from 'fs';

export interface Llama2cAttention {
  readonly prompt: string;
  readonly T: number;
  readonly token_ids: number[];
  readonly token_vocab_strings: string[];
  /** [layer][head][query][key] */
  readonly attention: number[][][][];
}

/** A fixture that also has run.c's logits: row t predicts token t+1. */
export interface Llama2cLogits extends Llama2cAttention {
  /** [T][vocab] */
  readonly logits: number[][];
}

export function readLlama2cAttention(file: string): Llama2cLogits {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Llama2cLogits;
}

/** log softmax(logits)[id], in float64 (the oracle for surprisal and ablation losses). */
export function logProb(logits: readonly number[], id: number): number {
  const max = Math.max(...logits);
  const lse = max + Math.log(logits.reduce((s, x) => s + Math.exp(x - max), 0));
  return (logits[id] ?? NaN) - lse;
}

/**
 * [start, end) of each token in `prompt` (UTF-16 units). Token 0 is BOS (no text: [0, 0));
 * the pieces after it spell " " + prompt (sentencepiece's dummy prefix), so the first piece's
 * leading space is not in the text. Only prompts without byte-fallback pieces are supported.
 */
export function tokenSpans(fx: Llama2cAttention): { start: number; end: number }[] {
  const pieces = fx.token_vocab_strings.slice(1);
  if (pieces.some((p) => /^<0x[0-9A-F]{2}>$/.test(p))) throw new Error(`${fx.prompt.slice(0, 20)}…: byte-fallback pieces are not supported here`);
  if (pieces.join('') !== ` ${fx.prompt}`) throw new Error('the fixture pieces do not spell the prompt');
  const spans = [{ start: 0, end: 0 }];
  let at = -1; // the dummy prefix is one character before the text
  for (const p of pieces) {
    spans.push({ start: Math.max(0, at), end: at + p.length });
    at += p.length;
  }
  return spans;
}

export interface BucketSettings {
  readonly threshold: number;
  readonly normalization: string;
  readonly excludeFirstToken: boolean;
  readonly buckets: number;
}

/**
 * Bucket per weight (−1: not shown), or 'either' when the weight lies within `margin` of a
 * bucket edge or of the threshold, where float32 rounding in two implementations may differ.
 */
export function expectedBuckets(weights: readonly number[], s: BucketSettings, margin = 1e-4): (number | 'either')[] {
  const exclude = s.excludeFirstToken ? 0 : -1;
  let scale = 1;
  if (s.normalization === 'rowMax') {
    const max = Math.max(0, ...weights.filter((_, i) => i !== exclude));
    scale = max > 0 ? 1 / max : 0;
  }
  return weights.map((w, i) => {
    if (i === exclude || !(w > 0)) return -1;
    const x = Math.min(1, w * scale);
    if (Math.abs(x - s.threshold) < margin) return 'either';
    if (x < s.threshold) return -1;
    const scaled = x * s.buckets;
    if (Math.abs(scaled - Math.round(scaled)) < margin * s.buckets && Math.round(scaled) > 0 && Math.round(scaled) < s.buckets) return 'either';
    return Math.min(s.buckets - 1, Math.max(0, Math.ceil(scaled) - 1));
  });
}

/** The k largest weights, largest first, ties to the lower index. */
export function topKOf(weights: readonly number[], k: number): { index: number; weight: number }[] {
  return weights
    .map((weight, index) => ({ index, weight }))
    .filter((x) => x.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index)
    .slice(0, k);
}

/** Weight a percentage printed as "12.3 %", "4.56 %" or "7.8e-3 %" stands for, with its rounding. */
export function parsePercent(text: string): { value: number; tolerance: number } {
  const m = /^(-?\d+(?:\.(\d+))?(?:e([+-]?\d+))?) %$/.exec(text.trim());
  if (!m) throw new Error(`not a percentage: ${JSON.stringify(text)}`);
  const decimals = m[2]?.length ?? 0;
  const exponent = Number(m[3] ?? 0);
  const ulp = 10 ** (exponent - decimals);
  return { value: Number(m[1]) / 100, tolerance: ulp / 100 / 2 + 2e-6 };
}

// ---------------------------------------------------------------------------------------------
// Head statistics and rollout, written from ../shared/design/ANALYSIS.md (§1, §4, §5), in
// float64 over the fixture's [layer][head][query][key] weights.

type Pattern = (i: number, j: number) => boolean;

/** TransformerLens "mul" score with its defaults: Σ A·P / Σ A over the whole n×n pattern. */
function mulScore(a: number[][], p: Pattern): number {
  let num = 0,
    den = 0;
  a.forEach((row, i) =>
    row.forEach((v, j) => {
      den += v;
      if (p(i, j)) num += v;
    }),
  );
  return den > 0 ? num / den : 0;
}

/** The five head kinds of the head-type table (ANALYSIS.md §1), as 0/1 patterns over the tokens. */
export function headKindPatterns(ids: readonly number[]): Record<string, Pattern> {
  return {
    previous_token: (i, j) => j === i - 1,
    duplicate_token: (i, j) => j < i && ids[i] === ids[j],
    induction: (i, j) => j >= 1 && j - 1 < i && j <= i && ids[i] === ids[j - 1],
    first_token: (_i, j) => j === 0,
    current_token: (i, j) => j === i,
  };
}

export interface ReferenceHeadStats {
  /** kind → [L·H] */
  readonly scores: Record<string, number[]>;
  /** Mean over rows 1..n−1 of the row entropy divided by ln(i + 1) (§4, the causal fix). */
  readonly entropy: number[];
  /** Mean over rows of the fewest keys holding 50 % / 90 % of the row's mass: the smallest and largest value rounding allows. */
  readonly keys50: { min: number; max: number }[];
  readonly keys90: { min: number; max: number }[];
}

export function referenceHeadStats(fx: Llama2cAttention): ReferenceHeadStats {
  const patterns = headKindPatterns(fx.token_ids);
  const scores: Record<string, number[]> = Object.fromEntries(Object.keys(patterns).map((k) => [k, []]));
  const entropy: number[] = [],
    keys50: { min: number; max: number }[] = [],
    keys90: { min: number; max: number }[] = [];
  for (const layer of fx.attention) {
    for (const a of layer) {
      for (const [kind, p] of Object.entries(patterns)) scores[kind]!.push(mulScore(a, p));
      let e = 0;
      for (let i = 1; i < a.length; i++) {
        let h = 0;
        for (let j = 0; j <= i; j++) if (a[i]![j]! > 0) h -= a[i]![j]! * Math.log(a[i]![j]!);
        e += h / Math.log(i + 1);
      }
      entropy.push(e / (a.length - 1));
      keys50.push(meanKeys(a, 0.5));
      keys90.push(meanKeys(a, 0.9));
    }
  }
  return { scores, entropy, keys50, keys90 };
}

function meanKeys(a: number[][], fraction: number): { min: number; max: number } {
  let min = 0,
    max = 0;
  a.forEach((row, i) => {
    const w = row.slice(0, i + 1).sort((x, y) => y - x);
    const total = w.reduce((s, v) => s + v, 0);
    const count = (target: number): number => {
      let acc = 0;
      for (let k = 0; k < w.length; k++) if ((acc += w[k]!) >= target) return k + 1;
      return w.length;
    };
    // Weights printed to 6 decimals: a row whose running sum passes the target within 1e-5 may count either way.
    min += count(fraction * total - 1e-5);
    max += count(fraction * total + 1e-5);
  });
  return { min: min / a.length, max: max / a.length };
}

/**
 * Row `query` of each partial rollout R_1..R_L (§5): Â_l = rownorm(mean over heads of A_l + I),
 * R_l = Â_l·…·Â_1; row q of R_l = e_q·Â_l·…·Â_1, computed as a vector–matrix chain.
 */
export function referenceRolloutRows(fx: Llama2cAttention, query: number): number[][] {
  const n = fx.T;
  const hats = fx.attention.map((layer) => {
    const m = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) => layer.reduce((s, a) => s + a[i]![j]!, 0) / layer.length + (i === j ? 1 : 0)),
    );
    return m.map((row) => {
      const sum = row.reduce((s, v) => s + v, 0);
      return row.map((v) => v / sum);
    });
  });
  const out: number[][] = [];
  for (let l = 0; l < hats.length; l++) {
    let v: number[] = Array.from({ length: n }, (_, j) => (j === query ? 1 : 0));
    for (let m = l; m >= 0; m--) {
      const hat = hats[m]!;
      v = Array.from({ length: n }, (_, j) => v.reduce((s, vi, i) => s + vi * hat[i]![j]!, 0));
    }
    out.push(v);
  }
  return out;
}
