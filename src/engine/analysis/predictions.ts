/**
 * Reading next-token predictions out of logits: log-softmax of one row (stable: max
 * subtracted, sums in float64), the top-k tokens of a row, and where a given token ranks.
 * Shared by surprisal, the logit lens, ablation and attribution.
 */

/** Top-k of one row: ids by descending probability (ties: lower id first) and their probabilities. */
export interface TopK {
  readonly ids: Int32Array;
  readonly probs: Float64Array;
}

/** log softmax(logits[offset .. offset+V)) into `out` [V]; returns out. */
export function logSoftmaxRow(logits: ArrayLike<number>, offset: number, V: number, out: Float64Array = new Float64Array(V)): Float64Array {
  let max = -Infinity;
  for (let v = 0; v < V; v++) if (logits[offset + v]! > max) max = logits[offset + v]!;
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(logits[offset + v]! - max);
  const lse = max + Math.log(sum);
  for (let v = 0; v < V; v++) out[v] = logits[offset + v]! - lse;
  return out;
}

/** log p(target) under softmax of one row of logits. */
export function logProbOf(logits: ArrayLike<number>, offset: number, V: number, target: number): number {
  let max = -Infinity;
  for (let v = 0; v < V; v++) if (logits[offset + v]! > max) max = logits[offset + v]!;
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(logits[offset + v]! - max);
  return logits[offset + target]! - max - Math.log(sum);
}

/** The k most probable tokens of a row of log-probabilities (k is clamped to V). */
export function topK(logProbs: ArrayLike<number>, k: number): TopK {
  const V = logProbs.length;
  const n = Math.max(0, Math.min(k, V));
  // A partial insertion sort: k is small (≤ ~50) next to V (up to ~150k).
  const ids = new Int32Array(n);
  const lp = new Float64Array(n).fill(-Infinity);
  let filled = 0;
  for (let v = 0; v < V; v++) {
    const x = logProbs[v]!;
    if (filled === n && !(x > lp[n - 1]!)) continue;
    let i = filled < n ? filled++ : n - 1;
    while (i > 0 && x > lp[i - 1]!) {
      lp[i] = lp[i - 1]!;
      ids[i] = ids[i - 1]!;
      i--;
    }
    lp[i] = x;
    ids[i] = v;
  }
  return { ids, probs: lp.map(Math.exp) };
}

/** 1-based rank of `target` in a row (1 = the model's top choice), ties ordered as topK orders them. */
export function rankOf(logProbs: ArrayLike<number>, target: number): number {
  const x = logProbs[target]!;
  let rank = 1;
  for (let v = 0; v < logProbs.length; v++) {
    const y = logProbs[v]!;
    if (y > x || (y === x && v < target)) rank++;
  }
  return rank;
}
