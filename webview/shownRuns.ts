/**
 * The runs the dashboard shows (the loss panel's run list: the current run and the kept ones
 * whose box is ticked), each with all of its metric columns, for the metric panels and the
 * exports: the current run's from the store's streamed columns (views, not copies), a kept run's
 * from what the host kept.
 */

import { EVAL_KEYS, STEP_KEYS } from '../src/presentation/metricColumns';
import type { EvalColumns, StepColumns } from '../src/protocol/runs';
import { pageRuns, type PageRun } from './pageRuns';
import type { Store } from './store';
import type { Theme } from './theme';

export interface ShownRun {
  readonly run: PageRun;
  readonly steps: StepColumns;
  readonly evals: EvalColumns;
}

export function shownRuns(store: Store, theme: Theme): ShownRun[] {
  const out: ShownRun[] = [];
  for (const run of pageRuns(store, theme)) {
    if (!run.visible) continue;
    if (run.current) {
      const steps = Object.fromEntries(STEP_KEYS.map((k) => [k, store.steps.column(k)])) as unknown as StepColumns;
      const evals = Object.fromEntries(EVAL_KEYS.map((k) => [k, store.evals.column(k)])) as unknown as EvalColumns;
      out.push({ run, steps, evals });
      continue;
    }
    const kept = store.runs.find((r) => r.id === run.id);
    if (kept && kept.steps.step.length > 0) out.push({ run, steps: kept.steps, evals: kept.evals });
  }
  return out;
}

/** Whether what is shown is just the current run (the panels then draw it as they always did). */
export function onlyCurrent(runs: readonly ShownRun[]): boolean {
  return runs.length === 1 && runs[0]!.run.current;
}
