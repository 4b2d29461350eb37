/**
 * How many keys carry most of a query's attention: the fewest keys whose weights add up to a
 * given fraction (50 %, 90 %) of the row's mass. Reads better than entropy: "this head looks at
 * 2 tokens for 90 % of its attention".
 */

/** Fewest entries of `row` (largest first) holding at least `fraction` of its total. 0 for an empty row. */
export function keysForMass(row: ArrayLike<number>, fraction: number): number {
  return keysForMasses(row, [fraction])[0]!;
}

/**
 * keysForMass for several fractions. The largest weights are summed from the largest down, in a
 * Float64Array sorted natively; but only the weights that walk can reach are sorted: partitions
 * first set aside the small ones that the largest fraction never needs (a row of 1,024 keys
 * where a few hold the mass sorts a few dozen). Sorting every row whole was 28 % of `heads` on
 * a 12 × 12-head model over 1,024 tokens (a comparator sort of boxed numbers, before, 90 %).
 */
export function keysForMasses(row: ArrayLike<number>, fractions: readonly number[], scratch?: Float64Array): number[] {
  for (const f of fractions) if (!(f > 0 && f <= 1)) throw new RangeError(`the mass fraction must be in (0, 1], got ${f}`);
  const n = row.length;
  const w = scratch && scratch.length >= n ? scratch.subarray(0, n) : new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = row[i]!;
    w[i] = v > 0 ? v : 0;
    total += w[i]!;
  }
  if (!(total > 0)) return fractions.map(() => 0);
  // Largest first, summed in that order, each fraction's count read off the way.
  const order = fractions.map((f, i) => [f, i] as const).sort((a, b) => a[0] - b[0]);
  const need = (f: number): number => f * total * (1 - 1e-9);
  const from = sortLargest(w, need(order[order.length - 1]![0]));
  const out = new Array<number>(fractions.length).fill(n);
  let k = 0;
  let acc = 0;
  for (let i = 0; i < n - from && k < order.length; i++) {
    acc += w[n - 1 - i]!;
    // A hair of tolerance so rounding in the weights doesn't demand one more key.
    while (k < order.length && acc >= need(order[k]![0])) out[order[k++]![1]] = i + 1;
  }
  return out;
}

/**
 * Sorts ascending the end w[from, n) of `w` that holds its largest values, enough of them that
 * they add up to `target` (all of w when they do not); returns `from`. Partitions around a
 * pivot: when the values at or above it (with those already set aside above) reach the target
 * with room to spare, the ones below can never be reached from the top and are dropped.
 */
function sortLargest(w: Float64Array, target: number): number {
  const n = w.length;
  let lo = 0,
    hi = n,
    above = 0,
    // Sum of w[lo, hi), in index order (a pivot, not a count: rounding is harmless here).
    range = 0;
  for (let i = 0; i < n; i++) range += w[i]!;
  while (hi - lo > 64) {
    // The mean as pivot: some value is below it unless all are equal, and attention rows, where
    // a few weights hold the mass, drop most of theirs at the first split.
    const pivot = range / (hi - lo);
    let m = lo; // w[lo, m) < pivot ≤ w[m, hi)
    let s = 0;
    for (let i = lo; i < hi; i++) {
      const v = w[i]!;
      if (v < pivot) {
        w[i] = w[m]!;
        w[m++] = v;
      } else s += v;
    }
    if (m === lo || m === hi) break; // all equal: nothing to split
    // The margin covers sums in another order than the walk's: a value dropped is never needed.
    if (above + s >= target * (1 + 1e-9)) {
      lo = m;
      range = s;
    } else {
      above += s;
      range -= s;
      hi = m;
    }
  }
  w.subarray(lo, n).sort();
  return lo;
}

/** keysForMass of every row of one head's n×n pattern: row i has i + 1 keys when causal, else n. */
export function keysPerRow(a: ArrayLike<number>, n: number, fraction: number, offset = 0, causal = true): Int32Array {
  return keysPerRowMany(a, n, [fraction], offset, causal)[0]!;
}

/** keysPerRow for several fractions, one sort per row. */
export function keysPerRowMany(a: ArrayLike<number>, n: number, fractions: readonly number[], offset = 0, causal = true): Int32Array[] {
  const out = fractions.map(() => new Int32Array(n));
  const row = new Float64Array(n);
  const scratch = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const keys = causal ? i + 1 : n;
    for (let j = 0; j < keys; j++) row[j] = a[offset + i * n + j]!;
    const k = keysForMasses(row.subarray(0, keys), fractions, scratch);
    for (let f = 0; f < fractions.length; f++) out[f]![i] = k[f]!;
  }
  return out;
}

/** Mean over rows of keysPerRow. */
export function meanKeysForMass(a: ArrayLike<number>, n: number, fraction: number, offset = 0, causal = true): number {
  return meanKeysForMasses(a, n, [fraction], offset, causal)[0]!;
}

/** meanKeysForMass for several fractions, one sort per row. */
export function meanKeysForMasses(a: ArrayLike<number>, n: number, fractions: readonly number[], offset = 0, causal = true): number[] {
  return keysPerRowMany(a, n, fractions, offset, causal).map((k) => k.reduce((s, v) => s + v, 0) / Math.max(1, n));
}
