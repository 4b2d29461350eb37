/**
 * Several runs on one chart: uPlot draws series over one shared x column, and runs have
 * their own steps (a 300-step run beside a 5,000-step one) or their own times. The shared x
 * is the sorted union of every run's x values; each run's values are placed at their x and
 * are null (a gap, which the line spans) everywhere else.
 */

/** The sorted, de-duplicated union of the given x columns. */
export function unionX(columns: readonly ArrayLike<number>[]): Float64Array {
  let n = 0;
  for (const c of columns) n += c.length;
  const all = new Float64Array(n);
  let at = 0;
  for (const c of columns) for (let i = 0; i < c.length; i++) all[at++] = c[i]!;
  all.sort();
  let w = 0;
  for (let i = 0; i < n; i++) {
    const v = all[i]!;
    if (Number.isNaN(v)) continue;
    if (w === 0 || all[w - 1] !== v) all[w++] = v;
  }
  return all.slice(0, w);
}

/**
 * `values[i]` placed at the index of `xs[i]` in the union `x` (found by binary search), null
 * elsewhere; non-finite values become null too (the chart marks them separately).
 */
export function placeOnX(x: Float64Array, xs: ArrayLike<number>, values: ArrayLike<number>): (number | null)[] {
  const out = new Array<number | null>(x.length).fill(null);
  for (let i = 0; i < xs.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    const j = indexOf(x, xs[i]!);
    if (j >= 0) out[j] = v;
  }
  return out;
}

function indexOf(x: Float64Array, v: number): number {
  let lo = 0;
  let hi = x.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = x[mid]!;
    if (m === v) return mid;
    if (m < v) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
