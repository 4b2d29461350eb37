/**
 * What a loss panel does to its numbers before drawing (ANALYSIS.md §6). TensorBoard's
 * debiased exponential moving average, computed on the whole series — never on what is
 * zoomed or downsampled, which is the bug TB#1518 and W&B#10242 shipped — and TensorBoard's
 * outlier-robust y extent. Non-finite points pass through unsmoothed so a diverged step is
 * drawn where it happened instead of poisoning every later value.
 */

/** The smoothing weight the UI offers at most: 1 would freeze the curve at its first value. */
export const MAX_SMOOTHING = 0.999;

/**
 * TensorBoard's `classicSmoothing`: last = w·last + (1−w)·y, divided by 1 − w^count to undo the
 * pull towards the initial 0. A constant series comes back unchanged (TB#786: debiasing a
 * constant in floating point wobbles). w is clamped to [0, 1].
 */
export function classicSmoothing(y: ArrayLike<number>, weight: number): Float64Array {
  const w = Math.min(1, Math.max(0, Number.isFinite(weight) ? weight : 0));
  const out = new Float64Array(y.length);
  let constant = true;
  for (let i = 1; i < y.length && constant; i++) if (!Object.is(y[i], y[0])) constant = false;
  let last = 0;
  let count = 0;
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (constant || !Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * w + (1 - w) * v;
    count++;
    out[i] = w === 1 ? last : last / (1 - Math.pow(w, count));
  }
  return out;
}

/** Quantile of sorted values by R-7 (linear interpolation between closest ranks; numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * TensorBoard's outlier-robust y extent: the 5 % and 95 % quantiles of the finite values when
 * there are more than two, else their min and max. null when nothing is finite.
 */
export function robustExtent(values: ArrayLike<number>, lower = 0.05, upper = 0.95): [number, number] | null {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) finite.push(values[i]!);
  if (finite.length === 0) return null;
  finite.sort((a, b) => a - b);
  if (finite.length <= 2) return [finite[0]!, finite[finite.length - 1]!];
  return [quantileSorted(finite, lower), quantileSorted(finite, upper)];
}

/** Indices of the points that are NaN or ±Infinity (drawn as markers, not dropped). */
export function nonFiniteIndices(values: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) out.push(i);
  return out;
}
