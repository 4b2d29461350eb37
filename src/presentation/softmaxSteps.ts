/**
 * The "why" view's arithmetic, spelled out: from one query's raw scores q·k/√d to its
 * attention weights, the way the tutorial does it — subtract the max, exponentiate, divide by
 * the sum — in float64 so the shown intermediate numbers are exact enough to check by hand.
 * Masked keys (score −Infinity) get weight 0.
 */

export interface SoftmaxSteps {
  /** The largest finite score (subtracted for stability). */
  readonly max: number;
  /** exp(score − max) per key; 0 where masked. */
  readonly exps: Float64Array;
  readonly sum: number;
  readonly weights: Float64Array;
}

export function softmaxSteps(scores: ArrayLike<number>): SoftmaxSteps {
  const n = scores.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (scores[i]! > max) max = scores[i]!;
  const exps = new Float64Array(n);
  let sum = 0;
  if (Number.isFinite(max)) {
    for (let i = 0; i < n; i++) {
      const s = scores[i]!;
      exps[i] = s === -Infinity || Number.isNaN(s) ? 0 : Math.exp(s - max);
      sum += exps[i]!;
    }
  }
  const weights = exps.map((e) => (sum > 0 ? e / sum : 0));
  return { max, exps, sum, weights };
}

/** Σ_k weights[k]·v[k] for v [W, hs] row-major: the head's output for the query. */
export function weightedSum(weights: ArrayLike<number>, v: ArrayLike<number>, headSize: number): Float64Array {
  const out = new Float64Array(headSize);
  for (let k = 0; k < weights.length; k++) {
    const w = weights[k]!;
    if (w === 0) continue;
    for (let d = 0; d < headSize; d++) out[d] = (out[d] ?? NaN) + w * v[k * headSize + d]!;
  }
  return out;
}

/** q·k for each key (k [W, hs]) — the numerator of the scores before the 1/√d scale. */
export function dotProducts(q: ArrayLike<number>, k: ArrayLike<number>, headSize: number): Float64Array {
  const n = Math.floor(k.length / headSize);
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let d = 0; d < headSize; d++) s += q[d]! * k[j * headSize + d]!;
    out[j] = s;
  }
  return out;
}
