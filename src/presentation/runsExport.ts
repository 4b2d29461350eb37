/**
 * Exports of the runs the loss panel shows (its run list's checkboxes): every shown run's steps
 * and evaluations in one file. CSV is long-format — the single-run columns of metricsCsv with
 * the run's id and label in front, one block per run — so a spreadsheet pivot or pandas groupby
 * reads it; JSON is `{"smoothing", "runs": [{"id", "label", "current", "steps", "evals"}]}` with
 * the same column names as the single-run export.
 */

import { classicSmoothing } from './smoothing';
import { csv, csvCell, exportJson, metricsCsv } from './exportData';
import type { EvalColumns, StepColumns } from '../protocol/runs';

export interface ExportedRun {
  readonly id: string;
  readonly label: string;
  readonly current: boolean;
  readonly steps: StepColumns;
  readonly evals: EvalColumns;
}

/** One CSV for all runs: `run`, `run_label`, then metricsCsv's columns (its rows, already escaped, behind the run's two cells). */
export function runsMetricsCsv(runs: readonly ExportedRun[], smoothing: number): string {
  const out: string[] = [];
  for (const r of runs) {
    const lines = metricsCsv(r.steps, classicSmoothing(r.steps.loss, smoothing), r.evals).split('\r\n').slice(0, -1);
    if (out.length === 0) out.push(`run,run_label,${lines[0]}`);
    const prefix = `${csvCell(r.id)},${csvCell(r.label)},`;
    for (const line of lines.slice(1)) out.push(prefix + line);
  }
  if (out.length === 0) return csv(['run', 'run_label'], []);
  return out.join('\r\n') + '\r\n';
}

export function runsMetricsJson(runs: readonly ExportedRun[], smoothing: number): string {
  return exportJson({
    smoothing: { method: 'tensorboard-classic', weight: smoothing },
    runs: runs.map((r) => ({
      id: r.id,
      label: r.label,
      current: r.current,
      steps: {
        step: r.steps.step,
        elapsed_ms: r.steps.elapsedMs,
        loss: r.steps.loss,
        loss_smoothed: classicSmoothing(r.steps.loss, smoothing),
        lr: r.steps.lr,
        grad_norm: r.steps.gradNorm,
        tokens_per_s: r.steps.tokensPerSecond,
      },
      evals: { step: r.evals.step, val_loss: r.evals.valLoss, val_accuracy: r.evals.valAccuracy, val_perplexity: r.evals.valPerplexity },
    })),
  });
}
