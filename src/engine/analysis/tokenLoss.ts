/**
 * Per-token loss (surprisal): how surprised the model was by each next token,
 * −log softmax(logits_t)[target_t], in nats (÷ ln 2 for bits). Where it spikes the model is
 * lost; where an induction head works it falls on the second copy of a repeated span.
 */

/** `logits` [T, V], `targets` [T] (negative = no target → NaN). */
export function tokenSurprisal(logits: ArrayLike<number>, targets: ArrayLike<number>, vocab: number): Float64Array {
  const T = targets.length;
  if (logits.length !== T * vocab) throw new RangeError(`logits have ${logits.length} values; ${T} positions × ${vocab} vocabulary need ${T * vocab}`);
  const out = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const target = targets[t]!;
    if (target < 0) {
      out[t] = NaN;
      continue;
    }
    if (!(Number.isInteger(target) && target < vocab)) throw new RangeError(`target ${target} at position ${t} is outside the vocabulary of ${vocab}`);
    const o = t * vocab;
    let max = -Infinity;
    for (let v = 0; v < vocab; v++) if (logits[o + v]! > max) max = logits[o + v]!;
    let sum = 0;
    for (let v = 0; v < vocab; v++) sum += Math.exp(logits[o + v]! - max);
    out[t] = Math.log(sum) + max - logits[o + target]!;
  }
  return out;
}

/** Targets for next-token prediction over `ids`: ids shifted left, the last position without one. */
export function nextTokenTargets(ids: ArrayLike<number>): Int32Array {
  const out = new Int32Array(ids.length).fill(-1);
  for (let t = 0; t + 1 < ids.length; t++) out[t] = ids[t + 1]!;
  return out;
}

export function natsToBits(nats: number): number {
  return nats / Math.LN2;
}
