/**
 * The chart series built from the metric columns, for uPlot: one shared x (step or elapsed
 * seconds), values with null where nothing is drawn (uPlot's gap), evaluations placed at their
 * step's index, the smoothed loss from the whole series, and the indices of non-finite losses
 * (drawn as markers). Rebuilt per frame, so it avoids copies: a column with only finite values
 * is handed to uPlot as the store's own typed-array view; only columns holding NaN/±Infinity
 * (which uPlot would draw through) become arrays with null gaps.
 */

import { classicSmoothing } from '../src/presentation/smoothing';
import type { LossAxis } from '../src/protocol/webviewProtocol';
import type { Store } from './store';

export type Column = Float64Array | (number | null)[];

export interface RunSeries {
  readonly x: Float64Array;
  readonly loss: Column;
  readonly smoothed: Column;
  readonly smoothedRaw: Float64Array;
  readonly valLoss: (number | null)[];
  readonly valAccuracy: (number | null)[];
  readonly lr: Column;
  readonly gradNorm: Column;
  readonly tokensPerSecond: Column;
  /** Steps whose loss was NaN or ±Infinity, with the value. */
  readonly nonFinite: { readonly index: number; readonly value: number }[];
}

/** The column itself when every value is finite, else a copy with null for the others. */
function drawable(col: Float64Array): Column {
  for (let i = 0; i < col.length; i++) if (!Number.isFinite(col[i]!)) return Array.from(col, (v) => (Number.isFinite(v) ? v : null));
  return col;
}

export function buildSeries(store: Store, axis: LossAxis, smoothing: number | null): RunSeries {
  const steps = store.steps;
  const n = steps.length;
  const stepCol = steps.column('step');
  const lossCol = steps.column('loss');
  let x = stepCol;
  if (axis === 'time') {
    const elapsed = steps.column('elapsedMs');
    x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = elapsed[i]! / 1000;
  }
  const smoothedRaw = smoothing === null ? lossCol : classicSmoothing(lossCol, smoothing);
  const nonFinite: { index: number; value: number }[] = [];
  for (let i = 0; i < n; i++) if (!Number.isFinite(lossCol[i]!)) nonFinite.push({ index: i, value: lossCol[i]! });
  // Evaluations sit at the index of their step (steps are increasing: binary search).
  const valLoss = new Array<number | null>(n).fill(null);
  const valAccuracy = new Array<number | null>(n).fill(null);
  const evalStep = store.evals.column('step');
  const evalLoss = store.evals.column('valLoss');
  const evalAcc = store.evals.column('valAccuracy');
  for (let j = 0; j < evalStep.length; j++) {
    const i = indexOfStep(stepCol, evalStep[j]!);
    if (i < 0) continue;
    valLoss[i] = Number.isFinite(evalLoss[j]!) ? evalLoss[j]! : null;
    valAccuracy[i] = Number.isFinite(evalAcc[j]!) ? evalAcc[j]! : null;
  }
  return {
    x,
    loss: drawable(lossCol),
    smoothed: drawable(smoothedRaw),
    smoothedRaw,
    valLoss,
    valAccuracy,
    lr: drawable(steps.column('lr')),
    gradNorm: drawable(steps.column('gradNorm')),
    tokensPerSecond: drawable(steps.column('tokensPerSecond')),
    nonFinite,
  };
}

/** Index of `step` in the increasing column, or −1. */
export function indexOfStep(col: Float64Array, step: number): number {
  let lo = 0;
  let hi = col.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = col[mid]!;
    if (v === step) return mid;
    if (v < step) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
