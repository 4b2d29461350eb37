/**
 * The loss chart's data when runs are compared: the current run's raw, smoothed and
 * validation loss, then for each other visible run its smoothed loss and its validation
 * points, all over one shared x (runAlignment.ts). With no other run visible the current
 * run's columns go to the chart as they are (the live path copies nothing).
 */

import { classicSmoothing } from '../src/presentation/smoothing';
import { placeOnX, unionX } from '../src/presentation/runAlignment';
import { indexAtOrBefore } from '../src/presentation/stepCompare';
import type { LossAxis } from '../src/protocol/webviewProtocol';
import type { PlotData } from './charts';
import type { PageRun } from './pageRuns';
import type { RunSeries } from './seriesData';

export interface LossChartData {
  readonly data: PlotData;
  /** The other runs drawn, in series order (two series each: smoothed loss, validation). */
  readonly others: readonly PageRun[];
  /** Changes when the chart's series change (the plot is then rebuilt). */
  readonly layout: string;
}

/** x of each step of a run on the chosen axis. */
export function runX(run: PageRun, axis: LossAxis): ArrayLike<number> {
  if (axis === 'step') return run.steps.step;
  return Float64Array.from(run.steps.elapsedMs, (ms) => ms / 1000);
}

/** x of a step of a run on the chosen axis (time: the elapsed time of the last step at or before it), or null. */
export function xOfStep(run: PageRun, step: number, axis: LossAxis): number | null {
  if (axis === 'step') return step;
  const i = indexAtOrBefore(run.steps.step, step);
  return i >= 0 ? run.steps.elapsedMs[i]! / 1000 : null;
}

function evalX(run: PageRun, axis: LossAxis): { xs: number[]; values: number[] } {
  const xs: number[] = [];
  const values: number[] = [];
  for (let j = 0; j < run.evals.step.length; j++) {
    const x = xOfStep(run, run.evals.step[j]!, axis);
    if (x === null) continue;
    xs.push(x);
    values.push(run.evals.valLoss[j]!);
  }
  return { xs, values };
}

export function lossChartData(base: RunSeries, currentVisible: boolean, runs: readonly PageRun[], axis: LossAxis, smoothing: number): LossChartData {
  const others = runs.filter((r) => !r.current && r.visible && r.steps.step.length > 0);
  const layout = `${currentVisible}|${others.map((r) => r.id).join(',')}`;
  const hidden = (n: number): (number | null)[] => new Array<number | null>(n).fill(null);
  if (others.length === 0) {
    const n = base.x.length;
    const data: PlotData = currentVisible ? [base.x, base.loss, base.smoothed, base.valLoss] : [base.x, hidden(n), hidden(n), hidden(n)];
    return { data, others, layout };
  }
  const xs = others.map((r) => runX(r, axis));
  const evals = others.map((r) => evalX(r, axis));
  const x = unionX([base.x, ...xs, ...evals.map((e) => e.xs)]);
  const valBase = Float64Array.from(base.valLoss, (v) => v ?? NaN);
  const data: (Float64Array | (number | null)[])[] = [
    x,
    currentVisible ? placeOnX(x, base.x, rawLoss(base)) : hidden(x.length),
    currentVisible ? placeOnX(x, base.x, base.smoothedRaw) : hidden(x.length),
    currentVisible ? placeOnX(x, base.x, valBase) : hidden(x.length),
  ];
  others.forEach((r, i) => {
    data.push(placeOnX(x, xs[i]!, classicSmoothing(r.steps.loss, smoothing)));
    data.push(placeOnX(x, evals[i]!.xs, evals[i]!.values));
  });
  return { data: data as PlotData, others, layout };
}

function rawLoss(s: RunSeries): ArrayLike<number> {
  return Array.isArray(s.loss) ? s.loss.map((v) => v ?? NaN) : s.loss;
}
