/**
 * The metrics of the current (or last) training run, as they stream in from the worker.
 * The status bar, the progress notification and the dashboard all read this one record
 * and listen to its events, so a dashboard opened mid-run sees the whole curve so far.
 * The curve is kept as Float64Array columns (48 bytes a step), not as the messages it came
 * in: a long run must not grow the extension host's heap by an object per step.
 */

import * as vscode from 'vscode';
import { ColumnStore, EVAL_KEYS, STEP_KEYS } from '../presentation/metricColumns';
import type { EvalPoint, StepPoint } from '../protocol/common';
import type { EvalColumns, RunInfo, RunStatus, StepColumns } from '../protocol/webviewProtocol';
import type { TrainingHistory } from '../protocol/workerProtocol';

export type RunEvent =
  | { readonly kind: 'reset'; readonly info: RunInfo }
  | { readonly kind: 'step'; readonly point: StepPoint }
  | { readonly kind: 'eval'; readonly point: EvalPoint }
  | { readonly kind: 'status'; readonly info: RunInfo };

export class TrainingRun implements vscode.Disposable {
  private status: RunStatus = 'idle';
  private label = '';
  private totalSteps = 0;
  private message: string | null = null;
  private readonly steps = new ColumnStore(STEP_KEYS, 1024);
  private readonly evals = new ColumnStore(EVAL_KEYS, 64);
  private last: { step?: StepPoint; eval?: EvalPoint } = {};
  private readonly events = new vscode.EventEmitter<RunEvent>();
  readonly onDidChange = this.events.event;

  get running(): boolean {
    return this.status === 'running';
  }

  info(): RunInfo {
    return { status: this.status, label: this.label, totalSteps: this.totalSteps, message: this.message };
  }

  /** The curve so far, copied (safe to post). */
  columns(): { readonly steps: StepColumns; readonly evals: EvalColumns } {
    return { steps: this.steps.snapshot(), evals: this.evals.snapshot() };
  }

  get stepCount(): number {
    return this.steps.length;
  }

  get evalCount(): number {
    return this.evals.length;
  }

  /** The last step's numbers, for the status bar and the progress notification. */
  get lastStep(): StepPoint | undefined {
    return this.last.step;
  }

  get lastEval(): EvalPoint | undefined {
    return this.last.eval;
  }

  start(label: string, totalSteps: number): void {
    this.status = 'running';
    this.label = label;
    this.totalSteps = totalSteps;
    this.steps.clear();
    this.evals.clear();
    this.last = {};
    this.message = null;
    this.events.fire({ kind: 'reset', info: this.info() });
  }

  addStep(point: StepPoint): void {
    this.steps.push(point);
    this.last.step = point;
    this.events.fire({ kind: 'step', point });
  }

  addEval(point: EvalPoint): void {
    this.evals.push(point);
    this.last.eval = point;
    this.events.fire({ kind: 'eval', point });
  }

  finish(status: Exclude<RunStatus, 'idle' | 'running'>, message: string | null): void {
    this.status = status;
    this.message = message;
    this.events.fire({ kind: 'status', info: this.info() });
  }

  /**
   * Shows the training history a loaded model carries (or none: a model trained elsewhere), so
   * the curves on screen are always the active model's. A run going on is left alone.
   */
  showHistory(label: string, history: TrainingHistory | null): void {
    if (this.running) return;
    this.steps.clear();
    this.evals.clear();
    this.last = {};
    this.message = null;
    this.label = history ? label : '';
    this.status = history ? 'completed' : 'idle';
    this.totalSteps = history?.totalSteps ?? 0;
    for (const p of history?.steps ?? []) this.steps.push(p);
    for (const e of history?.evals ?? []) this.evals.push(e);
    this.last = { step: history?.steps.at(-1), eval: history?.evals.at(-1) };
    this.events.fire({ kind: 'reset', info: this.info() });
  }

  dispose(): void {
    this.events.dispose();
  }
}
