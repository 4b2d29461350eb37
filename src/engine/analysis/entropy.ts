/**
 * How spread out a head's attention is, per query row. Under a causal mask row i can spread
 * over only i + 1 keys, so its entropy is divided by ln(i + 1) — not ln(n) as in TL's
 * telemetry demo, which makes early rows look artificially sharp (ANALYSIS.md §4). Row 0 has
 * a single key and no entropy to speak of: it is NaN and left out of means.
 */

/** Normalised entropy of each row of one head's n×n pattern (at `offset`): 0 = one key, 1 = uniform. */
export function rowEntropies(a: ArrayLike<number>, n: number, offset = 0): Float64Array {
  const out = new Float64Array(n);
  out[0] = NaN;
  for (let i = 1; i < n; i++) {
    let h = 0;
    for (let j = 0; j <= i; j++) {
      const p = a[offset + i * n + j]!;
      if (p > 0) h -= p * Math.log(p);
    }
    out[i] = h / Math.log(i + 1);
  }
  return out;
}

/** Mean normalised entropy over rows 1..n−1 (NaN for n < 2). */
export function meanEntropy(a: ArrayLike<number>, n: number, offset = 0): number {
  const e = rowEntropies(a, n, offset);
  let sum = 0;
  for (let i = 1; i < n; i++) sum += e[i]!;
  return n > 1 ? sum / (n - 1) : NaN;
}

/** TL's head coherence with the per-row normalisation: 1 − mean entropy. 1 = sharp, 0 = uniform. */
export function coherence(a: ArrayLike<number>, n: number, offset = 0): number {
  return 1 - meanEntropy(a, n, offset);
}
