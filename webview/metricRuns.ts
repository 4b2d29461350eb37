/**
 * One metric of several runs over one shared x (presentation/runAlignment.ts), for the metric
 * panels when runs are compared: each run's steps (learning rate, gradient norm, tokens per
 * second) or evaluations (validation accuracy, placed at their step's x) on the union of every
 * run's x, null where a run has no point (uPlot draws a gap; spanGaps joins a run's own points).
 */

import { placeOnX, unionX } from '../src/presentation/runAlignment';
import type { LossAxis } from '../src/protocol/webviewProtocol';
import { runX, xOfStep } from './lossData';
import type { ShownRun } from './shownRuns';

export type MetricKey = 'lr' | 'gradNorm' | 'tokensPerSecond' | 'valAccuracy';

export function metricRunsData(runs: readonly ShownRun[], key: MetricKey, axis: LossAxis): { x: Float64Array; series: (number | null)[][] } {
  const points = runs.map((r) => {
    if (key !== 'valAccuracy') return { xs: runX(r.run, axis), values: r.steps[key] as ArrayLike<number> };
    const xs: number[] = [];
    const values: number[] = [];
    for (let j = 0; j < r.evals.step.length; j++) {
      const x = xOfStep(r.run, r.evals.step[j]!, axis);
      if (x === null) continue;
      xs.push(x);
      values.push(r.evals.valAccuracy[j]!);
    }
    return { xs, values };
  });
  const x = unionX(points.map((p) => p.xs));
  return { x, series: points.map((p) => placeOnX(x, p.xs, p.values)) };
}
