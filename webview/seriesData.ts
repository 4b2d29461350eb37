/**
 * The chart series built from the metric columns, for uPlot: one shared x (step or elapsed
 * seconds), values with null where nothing is drawn (uPlot's gap), evaluations placed at their
 * step's index, the smoothed loss from the whole series, and the indices of non-finite losses
 * (drawn as markers). Built fresh per frame: O(n) over 10,000 points is well under a millisecond.
 */

import { classicSmoothing } from '../src/presentation/smoothing';
import type { LossAxis } from '../src/protocol/webviewProtocol';
import type { Store } from './store';

export interface RunSeries {
  readonly x: number[];
  readonly loss: (number | null)[];
  readonly smoothed: (number | null)[];
  readonly smoothedRaw: Float64Array;
  readonly valLoss: (number | null)[];
  readonly valAccuracy: (number | null)[];
  readonly lr: (number | null)[];
  readonly gradNorm: (number | null)[];
  readonly tokensPerSecond: (number | null)[];
  /** Steps whose loss was NaN or ±Infinity, with the value. */
  readonly nonFinite: { readonly index: number; readonly value: number }[];
}

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

export function buildSeries(store: Store, axis: LossAxis, smoothing: number): RunSeries {
  const steps = store.steps;
  const n = steps.length;
  const stepCol = steps.column('step');
  const elapsed = steps.column('elapsedMs');
  const lossCol = steps.column('loss');
  const x = new Array<number>(n);
  for (let i = 0; i < n; i++) x[i] = axis === 'time' ? elapsed[i]! / 1000 : stepCol[i]!;
  const smoothedRaw = classicSmoothing(lossCol, smoothing);
  const nonFinite: { index: number; value: number }[] = [];
  const loss = new Array<number | null>(n);
  const smoothed = new Array<number | null>(n);
  for (let i = 0; i < n; i++) {
    const v = lossCol[i]!;
    if (!Number.isFinite(v)) nonFinite.push({ index: i, value: v });
    loss[i] = finiteOrNull(v);
    smoothed[i] = finiteOrNull(smoothedRaw[i]!);
  }
  const mapped = (col: Float64Array): (number | null)[] => Array.from(col, finiteOrNull);
  // Evaluations sit at the index of their step (steps are increasing: binary search).
  const valLoss = new Array<number | null>(n).fill(null);
  const valAccuracy = new Array<number | null>(n).fill(null);
  const evalStep = store.evals.column('step');
  const evalLoss = store.evals.column('valLoss');
  const evalAcc = store.evals.column('valAccuracy');
  for (let j = 0; j < evalStep.length; j++) {
    const i = indexOfStep(stepCol, evalStep[j]!);
    if (i < 0) continue;
    valLoss[i] = finiteOrNull(evalLoss[j]!);
    valAccuracy[i] = finiteOrNull(evalAcc[j]!);
  }
  return {
    x,
    loss,
    smoothed,
    smoothedRaw,
    valLoss,
    valAccuracy,
    lr: mapped(steps.column('lr')),
    gradNorm: mapped(steps.column('gradNorm')),
    tokensPerSecond: mapped(steps.column('tokensPerSecond')),
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
