/**
 * The metrics of the current (or last) training run, as they stream in from the worker.
 * The status bar, the progress notification and the dashboard all read this one record
 * and listen to its events, so a dashboard opened mid-run sees the whole curve so far.
 */

import * as vscode from 'vscode';
import type { EvalPoint, StepPoint } from '../protocol/common';

export type RunStatus = 'idle' | 'running' | 'completed' | 'cancelled' | 'diverged' | 'failed';

export interface RunSnapshot {
  readonly status: RunStatus;
  readonly label: string;
  readonly totalSteps: number;
  readonly steps: readonly StepPoint[];
  readonly evals: readonly EvalPoint[];
  readonly message: string | null;
}

export type RunEvent =
  | { readonly kind: 'reset'; readonly snapshot: RunSnapshot }
  | { readonly kind: 'step'; readonly point: StepPoint }
  | { readonly kind: 'eval'; readonly point: EvalPoint }
  | { readonly kind: 'status'; readonly snapshot: RunSnapshot };

export class TrainingRun implements vscode.Disposable {
  private status: RunStatus = 'idle';
  private label = '';
  private totalSteps = 0;
  private steps: StepPoint[] = [];
  private evals: EvalPoint[] = [];
  private message: string | null = null;
  private readonly events = new vscode.EventEmitter<RunEvent>();
  readonly onDidChange = this.events.event;

  get running(): boolean {
    return this.status === 'running';
  }

  snapshot(): RunSnapshot {
    return { status: this.status, label: this.label, totalSteps: this.totalSteps, steps: this.steps, evals: this.evals, message: this.message };
  }

  start(label: string, totalSteps: number): void {
    this.status = 'running';
    this.label = label;
    this.totalSteps = totalSteps;
    this.steps = [];
    this.evals = [];
    this.message = null;
    this.events.fire({ kind: 'reset', snapshot: this.snapshot() });
  }

  addStep(point: StepPoint): void {
    this.steps.push(point);
    this.events.fire({ kind: 'step', point });
  }

  addEval(point: EvalPoint): void {
    this.evals.push(point);
    this.events.fire({ kind: 'eval', point });
  }

  finish(status: Exclude<RunStatus, 'idle' | 'running'>, message: string | null): void {
    this.status = status;
    this.message = message;
    this.events.fire({ kind: 'status', snapshot: this.snapshot() });
  }

  /** The last step's numbers, for the status bar. */
  get lastStep(): StepPoint | undefined {
    return this.steps[this.steps.length - 1];
  }

  dispose(): void {
    this.events.dispose();
  }
}
