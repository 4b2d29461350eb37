/**
 * The pure view-model of attention, shared by the editor (decorations, hovers) and the
 * dashboard: picking a layer/head or aggregating heads, scaling a row of weights into a
 * fixed number of colour buckets, and top-k lists. No VS Code, no DOM, no engine.
 */

import type { Aggregation, Normalization } from '../protocol/settings';

/** Number of colour buckets (decoration types / legend steps). */
export const BUCKETS = 8;

export interface HeadSelection {
  readonly layer: number;
  readonly head: number;
  readonly aggregation: Aggregation;
}

/**
 * One weight per key from a [L, H, W] block: the selected head, or the mean / max over the
 * heads of the selected layer.
 */
export function selectWeights(block: Float32Array, layers: number, heads: number, width: number, sel: HeadSelection): Float32Array {
  const layer = clampIndex(sel.layer, layers);
  const out = new Float32Array(width);
  const base = layer * heads * width;
  if (sel.aggregation === 'head') {
    const h = clampIndex(sel.head, heads);
    out.set(block.subarray(base + h * width, base + (h + 1) * width));
    return out;
  }
  if (sel.aggregation === 'max') out.fill(-Infinity);
  for (let h = 0; h < heads; h++) {
    const o = base + h * width;
    for (let k = 0; k < width; k++) {
      const v = block[o + k]!;
      if (sel.aggregation === 'mean') out[k] = (out[k] ?? NaN) + v / heads;
      else if (v > out[k]!) out[k] = v;
    }
  }
  return out;
}

export interface BucketOptions {
  readonly threshold: number;
  readonly normalization: Normalization;
  /** Index (within `weights`) left out of scaling and highlighting, or −1. */
  readonly exclude: number;
  readonly buckets?: number;
  /** Factor on the scaled weights (rowEntropy.ts uniformFade: a near-uniform row is drawn fainter); 1 by default. */
  readonly fade?: number;
}

/**
 * Bucket index per weight (−1 = not highlighted). With 'rowMax' the largest shown weight
 * fills the top bucket, so a diffuse row still shows its shape; with 'absolute' a weight of
 * 1 does. Weights under the threshold (after scaling) are not highlighted.
 */
export function bucketize(weights: ArrayLike<number>, o: BucketOptions): Int8Array {
  const n = weights.length;
  const nb = o.buckets ?? BUCKETS;
  let scale = 1;
  if (o.normalization === 'rowMax') {
    let max = 0;
    for (let i = 0; i < n; i++) if (i !== o.exclude && weights[i]! > max) max = weights[i]!;
    scale = max > 0 ? 1 / max : 0;
  }
  const fade = o.fade ?? 1;
  const out = new Int8Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    if (i === o.exclude) continue;
    const w = weights[i]!;
    if (!(w > 0)) continue;
    const s = Math.min(1, w * scale) * fade;
    if (s < o.threshold || s === 0) continue;
    out[i] = Math.min(nb - 1, Math.max(0, Math.ceil(s * nb) - 1));
  }
  return out;
}

export interface Ranked {
  readonly index: number;
  readonly weight: number;
}

/** The k largest weights, largest first (ties: lower index first); `exclude` left out. */
export function topK(weights: ArrayLike<number>, k: number, exclude = -1): Ranked[] {
  const all: Ranked[] = [];
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (i !== exclude && Number.isFinite(w) && w > 0) all.push({ index: i, weight: w });
  }
  all.sort((a, b) => b.weight - a.weight || a.index - b.index);
  return all.slice(0, Math.max(0, k));
}

/** Index clamped into [0, n). */
export function clampIndex(i: number, n: number): number {
  return Math.min(Math.max(0, Math.floor(i)), Math.max(0, n - 1));
}

/** "12.3 %" — weights as people read them. */
export function formatWeight(w: number): string {
  if (!Number.isFinite(w)) return String(w);
  const p = w * 100;
  return `${p >= 10 ? p.toFixed(1) : p >= 0.1 ? p.toFixed(2) : p.toExponential(1)} %`;
}
