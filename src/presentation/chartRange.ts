/**
 * The loss chart's y range, recomputed for whatever x range is on screen: optionally ignoring
 * outliers the way TensorBoard does (5 %–95 % quantiles, ANALYSIS.md §6), optionally from zero,
 * and valid for a true log axis (positive bounds only). Non-finite values never widen it: they
 * are marked on the chart instead.
 */

import { robustExtent } from './smoothing';

export interface RangeOptions {
  readonly log: boolean;
  readonly fromZero: boolean;
  readonly ignoreOutliers: boolean;
}

/**
 * [min, max] for the y values of every series whose x lies in [xMin, xMax]. null when there is
 * nothing finite (and, for log, nothing positive) to show.
 */
export function yRange(
  xs: ArrayLike<number>,
  series: readonly ArrayLike<number | null>[],
  xMin: number,
  xMax: number,
  o: RangeOptions,
): [number, number] | null {
  const values: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    if (x < xMin || x > xMax) continue;
    for (const s of series) {
      const v = s[i];
      if (v !== null && v !== undefined && Number.isFinite(v) && (!o.log || v > 0)) values.push(v);
    }
  }
  if (values.length === 0) return null;
  let lo: number;
  let hi: number;
  if (o.ignoreOutliers) {
    [lo, hi] = robustExtent(values)!;
  } else {
    lo = Math.min(...values);
    hi = Math.max(...values);
  }
  if (o.log) {
    // Pad by a constant factor so the extremes don't sit on the frame.
    if (hi <= lo) return [lo / 2, hi * 2];
    const pad = Math.pow(hi / lo, 0.05);
    return [lo / pad, hi * pad];
  }
  if (o.fromZero) lo = Math.min(0, lo);
  if (hi <= lo) return [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.05;
  return [o.fromZero && lo === 0 ? 0 : lo - pad, hi + pad];
}

/** "1h 02m", "3m 05s", "12.5s": relative wall-clock time on the x axis. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '';
  const s = Math.max(0, seconds);
  if (s < 60) return `${s < 10 ? s.toFixed(1) : s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Compact numbers for readouts: 4 significant digits, exponents for tiny/huge values. */
export function formatValue(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+∞' : '−∞';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}
