/**
 * The loss panel's step table (TensorBoard's range table): a series' value at two chosen
 * steps, the change between them and the change in percent. A step that has no point of its
 * own reads the last point at or before it (an evaluation every 50 steps still has a value at
 * step 120); before a series' first point there is no value.
 */

export interface StepComparison {
  /** The steps whose values were read (the last point at or before the chosen steps), or null. */
  readonly stepA: number | null;
  readonly stepB: number | null;
  readonly a: number | null;
  readonly b: number | null;
  readonly change: number | null;
  /** (b − a) / |a| × 100; null when a is 0 or missing. */
  readonly percent: number | null;
}

/** Index of the last entry of the increasing `steps` that is ≤ step, or −1. */
export function indexAtOrBefore(steps: ArrayLike<number>, step: number): number {
  let lo = 0;
  let hi = steps.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (steps[mid]! <= step) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

export function compareSteps(steps: ArrayLike<number>, values: ArrayLike<number>, stepA: number, stepB: number): StepComparison {
  const ia = indexAtOrBefore(steps, stepA);
  const ib = indexAtOrBefore(steps, stepB);
  const a = ia >= 0 ? values[ia]! : null;
  const b = ib >= 0 ? values[ib]! : null;
  const change = a !== null && b !== null ? b - a : null;
  const percent = change !== null && a !== null && a !== 0 ? (change / Math.abs(a)) * 100 : null;
  return { stepA: ia >= 0 ? steps[ia]! : null, stepB: ib >= 0 ? steps[ib]! : null, a, b, change, percent };
}

/** "+1.2 %", "−35.0 %", "–" for none. */
export function formatPercent(p: number | null): string {
  if (p === null || !Number.isFinite(p)) return '–';
  const sign = p > 0 ? '+' : p < 0 ? '−' : '';
  return `${sign}${Math.abs(p).toFixed(1)} %`;
}

/** A signed change: "+0.031", "−1.204". */
export function formatChange(c: number | null): string {
  if (c === null || Number.isNaN(c)) return '–';
  if (!Number.isFinite(c)) return c > 0 ? '+∞' : '−∞';
  const sign = c > 0 ? '+' : c < 0 ? '−' : '';
  return `${sign}${Number(Math.abs(c).toPrecision(4))}`;
}
