/**
 * The metrics of the current (or last) training run, as they stream in from the worker.
 * The status bar, the progress notification and the dashboard all read this one record
 * and listen to its events, so a dashboard opened mid-run sees the whole curve so far.
 * The curve is kept as Float64Array columns (48 bytes a step), not as the messages it came
 * in: a long run must not grow the extension host's heap by an object per step.
 *
 * Each run has an id, its settings, its wall-clock start and end, the text samples generated
 * at its evaluations and the checkpoints it left; when it ends it is handed over (onDidFinish)
 * as a KeptRun, which the workspace's RunHistory keeps. A kept run can be shown again as the
 * current one (showRecord: after a window reload, the run comes back with its model).
 */

import * as vscode from 'vscode';
import { ColumnStore, EVAL_KEYS, STEP_KEYS } from '../presentation/metricColumns';
import type { EvalPoint, StepPoint } from '../protocol/common';
import type { BestCheckpoint, KeptRun, RunConfig, RunSample } from '../protocol/runs';
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
  private id: string | null = null;
  private origin: KeptRun['origin'] = 'trained';
  private config: RunConfig | null = null;
  private startedAt: number | null = null;
  private finishedAt: number | null = null;
  private samples: RunSample[] = [];
  private checkpointPath: string | null = null;
  private best: BestCheckpoint | null = null;
  private readonly events = new vscode.EventEmitter<RunEvent>();
  readonly onDidChange = this.events.event;
  private readonly finished = new vscode.EventEmitter<KeptRun>();
  /** A run trained here ended (completed, stopped, diverged or failed): the run to keep. */
  readonly onDidFinish = this.finished.event;

  get running(): boolean {
    return this.status === 'running';
  }

  info(): RunInfo {
    return {
      status: this.status,
      label: this.label,
      totalSteps: this.totalSteps,
      message: this.message,
      ...(this.id === null ? {} : { id: this.id }),
      samples: [...this.samples],
    };
  }

  /** The run shown now as a kept run (null when none is). */
  record(): KeptRun | null {
    if (this.id === null) return null;
    return {
      id: this.id,
      label: this.label,
      origin: this.origin,
      status: this.status,
      message: this.message,
      totalSteps: this.totalSteps,
      startedAt: this.startedAt,
      finishedAt: this.finishedAt,
      config: this.config,
      checkpointPath: this.checkpointPath,
      best: this.best,
      ...this.columns(),
      samples: [...this.samples],
    };
  }

  /** The checkpoint the shown run left, and its validation-best one. */
  get checkpoints(): { readonly last: string | null; readonly best: BestCheckpoint | null } {
    return { last: this.checkpointPath, best: this.best };
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

  /** A new run, or (`resumes`) a kept run going on: same id and start, so it stays one run wherever runs are listed. */
  start(label: string, totalSteps: number, config: RunConfig | null = null, resumes?: { readonly id: string; readonly startedAt: number | null }): void {
    this.forget();
    this.status = 'running';
    this.label = label;
    this.totalSteps = totalSteps;
    this.id = resumes?.id ?? `run-${Date.now().toString(36)}-${Math.floor(Math.random() * 36 ** 4).toString(36)}`;
    this.config = config;
    this.startedAt = resumes?.startedAt ?? Date.now();
    this.events.fire({ kind: 'reset', info: this.info() });
  }

  private forget(): void {
    this.steps.clear();
    this.evals.clear();
    this.last = {};
    this.message = null;
    this.id = null;
    this.origin = 'trained';
    this.config = null;
    this.startedAt = this.finishedAt = null;
    this.samples = [];
    this.checkpointPath = null;
    this.best = null;
  }

  addStep(point: StepPoint): void {
    this.steps.push(point);
    this.last.step = point;
    this.events.fire({ kind: 'step', point });
  }

  /** An evaluation, with the text the model generated from the probe at it (if any). */
  addEval(point: EvalPoint, sample?: { readonly prompt: string; readonly text: string }): void {
    this.evals.push(point);
    this.last.eval = point;
    this.events.fire({ kind: 'eval', point });
    if (sample) {
      this.samples.push({ step: point.step, prompt: sample.prompt, text: sample.text });
      this.events.fire({ kind: 'status', info: this.info() });
    }
  }

  finish(
    status: Exclude<RunStatus, 'idle' | 'running'>,
    message: string | null,
    saved: { readonly checkpointPath: string | null; readonly best?: BestCheckpoint | null } = { checkpointPath: null },
  ): void {
    const wasRunning = this.running;
    this.status = status;
    this.message = message;
    this.finishedAt = Date.now();
    this.checkpointPath = saved.checkpointPath;
    this.best = saved.best ?? null;
    this.events.fire({ kind: 'status', info: this.info() });
    const kept = wasRunning ? this.record() : null;
    if (kept) this.finished.fire(kept);
  }

  /** Shows a kept run as the current one (its model was loaded). A run going on is left alone. */
  showRecord(run: KeptRun): void {
    if (this.running) return;
    this.forget();
    this.id = run.id;
    this.origin = run.origin;
    this.label = run.label;
    this.status = run.status;
    this.message = run.message;
    this.totalSteps = run.totalSteps;
    this.config = run.config;
    this.startedAt = run.startedAt;
    this.finishedAt = run.finishedAt;
    this.checkpointPath = run.checkpointPath;
    this.best = run.best;
    this.samples = [...run.samples];
    this.steps.append(run.steps);
    this.evals.append(run.evals);
    const n = this.steps.length;
    const m = this.evals.length;
    if (n > 0) this.last.step = Object.fromEntries(STEP_KEYS.map((k) => [k, this.steps.column(k)[n - 1]!])) as unknown as StepPoint;
    if (m > 0) this.last.eval = Object.fromEntries(EVAL_KEYS.map((k) => [k, this.evals.column(k)[m - 1]!])) as unknown as EvalPoint;
    this.events.fire({ kind: 'reset', info: this.info() });
  }

  /**
   * Shows the training history a loaded model carries (or none: a model trained elsewhere), so
   * the curves on screen are always the active model's. A run going on is left alone.
   */
  showHistory(label: string, history: TrainingHistory | null, checkpointPath: string | null = null): void {
    if (this.running) return;
    this.forget();
    if (history && checkpointPath !== null) {
      // A checkpoint's recorded history is a run too: it can be kept and compared.
      this.id = `checkpoint:${checkpointPath}`;
      this.origin = 'checkpoint';
      this.checkpointPath = checkpointPath;
    }
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
    this.finished.dispose();
  }
}
