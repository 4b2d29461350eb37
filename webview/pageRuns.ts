/**
 * The runs the loss panel compares, as the page draws them: the current run first (the live
 * one, from the store's streamed columns), then the runs kept in this workspace, newest
 * first, without the current one again. Each gets a colour and a dash pattern that stays
 * with it while the list is the same; the current run keeps the chart's train/validation
 * colours.
 */

import type { KeptRun, RunConfig, RunSample, RunStatus } from '../src/protocol/runs';
import type { Store } from './store';
import type { Theme } from './theme';
import { t } from './l10n';

export interface RunColumns {
  readonly step: Float64Array;
  readonly loss: Float64Array;
  readonly elapsedMs: Float64Array;
}

export interface EvalCols {
  readonly step: Float64Array;
  readonly valLoss: Float64Array;
}

export interface PageRun {
  readonly id: string;
  readonly label: string;
  readonly current: boolean;
  readonly origin: KeptRun['origin'];
  readonly status: RunStatus;
  readonly message: string | null;
  readonly totalSteps: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly config: RunConfig | null;
  readonly best: KeptRun['best'];
  readonly steps: RunColumns;
  readonly evals: EvalCols;
  readonly samples: readonly RunSample[];
  /** Line colour (smoothed loss) and validation colour. */
  readonly color: string;
  readonly valColor: string;
  readonly dash: number[] | undefined;
  readonly visible: boolean;
}

const CURRENT_ID = 'current';

/** Colours for the earlier runs: the chart palette without the current run's blue and orange. */
function palette(theme: Theme): string[] {
  return [theme.series[1], theme.series[2], theme.query, theme.alarm].filter((c): c is string => typeof c === 'string');
}

export function pageRuns(store: Store, theme: Theme): PageRun[] {
  const out: PageRun[] = [];
  const r = store.run;
  const currentId = r.id ?? CURRENT_ID;
  const kept = store.runs.find((k) => k.id === currentId);
  if (store.steps.length > 0 || r.status === 'running') {
    out.push({
      id: currentId,
      label: r.label || t('current run'),
      current: true,
      origin: kept?.origin ?? 'trained',
      status: r.status,
      message: r.message,
      totalSteps: r.totalSteps,
      startedAt: kept?.startedAt ?? null,
      finishedAt: kept?.finishedAt ?? null,
      config: kept?.config ?? null,
      best: kept?.best ?? null,
      steps: { step: store.steps.column('step'), loss: store.steps.column('loss'), elapsedMs: store.steps.column('elapsedMs') },
      evals: { step: store.evals.column('step'), valLoss: store.evals.column('valLoss') },
      samples: r.samples ?? kept?.samples ?? [],
      color: theme.train,
      valColor: theme.validation,
      dash: undefined,
      visible: !store.hiddenRuns.has(currentId),
    });
  }
  const colors = palette(theme);
  let k = 0;
  for (const run of store.runs) {
    if (run.id === currentId) continue;
    const color = colors[k % colors.length] ?? theme.muted;
    // Past the palette, the same colours come back dashed.
    const dash = k >= colors.length ? [6, 4] : undefined;
    k++;
    out.push({
      id: run.id,
      label: run.label,
      current: false,
      origin: run.origin,
      status: run.status,
      message: run.message,
      totalSteps: run.totalSteps,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      config: run.config,
      best: run.best,
      steps: run.steps,
      evals: run.evals,
      samples: run.samples,
      color,
      valColor: color,
      dash,
      visible: !store.hiddenRuns.has(run.id),
    });
  }
  return out;
}
