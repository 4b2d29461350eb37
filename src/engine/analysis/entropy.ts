/**
 * How spread out a head's attention is, per query row. Under a causal mask row i can spread
 * over only i + 1 keys, so its entropy is divided by ln(i + 1) — not ln(n) as in TL's
 * telemetry demo, which makes early rows look artificially sharp (ANALYSIS.md §4). Row 0 has
 * a single key and no entropy to speak of: it is NaN and left out of means. Without the mask
 * (a bidirectional encoder, causal = false) every row spreads over all n keys: ln(n), row 0 included.
 */

/** Normalised entropy of each row of one head's n×n pattern (at `offset`): 0 = one key, 1 = uniform. */
export function rowEntropies(a: ArrayLike<number>, n: number, offset = 0, causal = true): Float64Array {
  const out = new Float64Array(n);
  out[0] = NaN;
  for (let i = causal ? 1 : 0; i < n; i++) {
    const keys = causal ? i + 1 : n;
    if (keys < 2) continue;
    let h = 0;
    for (let j = 0; j < keys; j++) {
      const p = a[offset + i * n + j]!;
      if (p > 0) h -= p * Math.log(p);
    }
    out[i] = h / Math.log(keys);
  }
  return out;
}

/** Mean normalised entropy over the rows that have one (rows 1..n−1 when causal, all rows otherwise; NaN for n < 2). */
export function meanEntropy(a: ArrayLike<number>, n: number, offset = 0, causal = true): number {
  const e = rowEntropies(a, n, offset, causal);
  let sum = 0;
  const first = causal ? 1 : 0;
  for (let i = first; i < n; i++) sum += e[i]!;
  return n > 1 ? sum / (n - first) : NaN;
}

/** TL's head coherence with the per-row normalisation: 1 − mean entropy. 1 = sharp, 0 = uniform. */
export function coherence(a: ArrayLike<number>, n: number, offset = 0): number {
  return 1 - meanEntropy(a, n, offset);
}
