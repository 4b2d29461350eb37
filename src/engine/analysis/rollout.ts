/**
 * Attention rollout (Abnar & Zuidema 2020, ANALYSIS.md §5): how much each input token feeds
 * each position at the top, following attention through the residual stream. Per layer the
 * heads are fused (mean, or max/min as in jacobgil/vit-explain) and the residual added
 * (Â = rownorm(Ā + I)); rollout is the product Â_L·…·Â_1. The whole product is O(L·n³); one
 * query's row is a vector–matrix chain, O(L·n²), which is what "rollout from the cursor token"
 * needs. Matrices are n×n row-major Float64Arrays, full or lower-triangular: nothing here
 * assumes a causal mask, so an encoder's bidirectional attention rolls out the same way.
 */

import { addAt, divAt } from '../elements';

export type HeadFusion = 'mean' | 'max' | 'min';

export interface RolloutOptions {
  readonly fusion?: HeadFusion;
  /**
   * Add the identity and renormalise (the paper's residual). Turn it off when the matrices are
   * already augmented — adding it twice is the reference notebook's documented pitfall.
   */
  readonly addResidual?: boolean;
}

/** Ā: the heads of one layer ([H, n, n]) fused into one n×n matrix. */
export function fuseHeads(block: ArrayLike<number>, heads: number, n: number, fusion: HeadFusion = 'mean'): Float64Array {
  if (block.length !== heads * n * n) throw new RangeError(`a layer of ${heads} heads over ${n} tokens has ${heads * n * n} weights, got ${block.length}`);
  const out = new Float64Array(n * n);
  if (fusion === 'max') out.fill(-Infinity);
  else if (fusion === 'min') out.fill(Infinity);
  for (let h = 0; h < heads; h++) {
    const o = h * n * n;
    for (let c = 0; c < n * n; c++) {
      const v = block[o + c]!;
      if (fusion === 'mean') addAt(out, c, v / heads);
      else if (fusion === 'max' ? v > out[c]! : v < out[c]!) out[c] = v;
    }
  }
  return out;
}

/** Â = rownorm(A + I): each row divided by its *own* sum (vit-explain#16 divided columns). */
export function addResidual(a: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const v = a[i * n + j]! + (i === j ? 1 : 0);
      out[i * n + j] = v;
      sum += v;
    }
    if (sum > 0) for (let j = 0; j < n; j++) divAt(out, i * n + j, sum);
  }
  return out;
}

/** The per-layer matrices rollout multiplies: fused, and augmented unless told otherwise. */
export function layerMatrices(layers: readonly ArrayLike<number>[], heads: number, n: number, o: RolloutOptions = {}): Float64Array[] {
  return layers.map((block) => {
    const fused = fuseHeads(block, heads, n, o.fusion);
    return o.addResidual === false ? fused : addResidual(fused, n);
  });
}

/** C = A·B for n×n matrices, skipping zero entries (a causal mask's upper triangle, when there is one). */
function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) addAt(c, i * n + j, aik * b[k * n + j]!);
    }
  }
  return c;
}

/**
 * R_l for l = 1..L (index l − 1): R_1 = Â_1, R_l = Â_l·R_{l−1}. The last is the rollout of
 * the whole model; the earlier ones show how relevance builds up layer by layer.
 */
export function attentionRollout(layers: readonly ArrayLike<number>[], heads: number, n: number, o: RolloutOptions = {}): Float64Array[] {
  const mats = layerMatrices(layers, heads, n, o);
  const out: Float64Array[] = [];
  let r: Float64Array | null = null;
  for (const m of mats) {
    r = r ? matmul(m, r, n) : m;
    out.push(r);
  }
  return out;
}

/** Row `query` of R_L without forming R_L: v = e_query, then v ← v·Â_l for l = L down to 1. */
export function rolloutRow(layers: readonly ArrayLike<number>[], heads: number, n: number, query: number, o: RolloutOptions = {}): Float64Array {
  if (!(Number.isInteger(query) && query >= 0 && query < n)) throw new RangeError(`query ${query} is outside the ${n} tokens`);
  const mats = layerMatrices(layers, heads, n, o);
  let v = new Float64Array(n);
  v[query] = 1;
  for (let l = mats.length - 1; l >= 0; l--) {
    const m = mats[l]!;
    const next = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const vk = v[k]!;
      if (vk === 0) continue;
      for (let j = 0; j < n; j++) addAt(next, j, vk * m[k * n + j]!);
    }
    v = next;
  }
  return v;
}

/**
 * Row `query` of every partial rollout R_1..R_L, as [L, n]: how relevance to the query builds
 * up layer by layer (the dashboard's rollout view). R_l's row is e_query·Â_l·…·Â_1, so each is
 * a vector–matrix chain: O(L²·n²) in all, still far below one R_L product for short L.
 */
export function rolloutRows(layers: readonly ArrayLike<number>[], heads: number, n: number, query: number, o: RolloutOptions = {}): Float64Array {
  const out = new Float64Array(layers.length * n);
  for (let l = 0; l < layers.length; l++) out.set(rolloutRow(layers.slice(0, l + 1), heads, n, query, o), l * n);
  return out;
}
