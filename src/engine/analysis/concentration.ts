/**
 * How many keys carry most of a query's attention: the fewest keys whose weights add up to a
 * given fraction (50 %, 90 %) of the row's mass. Reads better than entropy: "this head looks at
 * 2 tokens for 90 % of its attention".
 */

/** Fewest entries of `row` (largest first) holding at least `fraction` of its total. 0 for an empty row. */
export function keysForMass(row: ArrayLike<number>, fraction: number): number {
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`the mass fraction must be in (0, 1], got ${fraction}`);
  const w = Array.from(row, (v) => (v > 0 ? v : 0)).sort((a, b) => b - a);
  const total = w.reduce((s, v) => s + v, 0);
  if (!(total > 0)) return 0;
  // A hair of tolerance so rounding in the weights doesn't demand one more key.
  const target = fraction * total * (1 - 1e-9);
  let acc = 0;
  for (let i = 0; i < w.length; i++) {
    acc += w[i]!;
    if (acc >= target) return i + 1;
  }
  return w.length;
}

/** keysForMass of every row of one head's n×n pattern (causal: row i has i + 1 keys; else all n). */
export function keysPerRow(a: ArrayLike<number>, n: number, fraction: number, offset = 0, causal = true): Int32Array {
  const out = new Int32Array(n);
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const keys = causal ? i + 1 : n;
    for (let j = 0; j < keys; j++) row[j] = a[offset + i * n + j]!;
    out[i] = keysForMass(row.subarray(0, keys), fraction);
  }
  return out;
}

/** Mean over rows of keysPerRow. */
export function meanKeysForMass(a: ArrayLike<number>, n: number, fraction: number, offset = 0, causal = true): number {
  const k = keysPerRow(a, n, fraction, offset, causal);
  return k.reduce((s, v) => s + v, 0) / Math.max(1, n);
}
