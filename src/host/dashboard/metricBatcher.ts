/**
 * Streams the training run to the page: a new run replaces the curves, and steps and
 * evaluations are coalesced for FLUSH_MS (hundreds of steps a second become ~20 posts), flushed
 * before a status change so the page never shows "completed" short of the last step.
 */

import { assertNever, type EvalPoint, type StepPoint } from '../../protocol/common';
import type { HostToWebview } from '../../protocol/webviewProtocol';
import { evalColumns, stepColumns } from '../../presentation/metricColumns';
import type { RunEvent, TrainingRun } from '../trainingRun';

const FLUSH_MS = 50;

export class MetricBatcher {
  private steps: StepPoint[] = [];
  private evals: EvalPoint[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly run: TrainingRun,
    private readonly post: (m: HostToWebview) => void,
  ) {}

  onRun(e: RunEvent): void {
    switch (e.kind) {
      case 'reset':
        this.clear();
        this.post({ type: 'runReset', run: e.info, ...this.run.columns() });
        break;
      case 'step':
        this.steps.push(e.point);
        this.schedule();
        break;
      case 'eval':
        this.evals.push(e.point);
        this.schedule();
        break;
      case 'status':
        this.flush();
        this.post({ type: 'runStatus', run: e.info });
        break;
      default:
        assertNever(e, 'run event');
    }
  }

  /** Drops what is pending (a page that is sent `init` gets the whole run in it). */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.steps = [];
    this.evals = [];
  }

  dispose(): void {
    this.clear();
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.steps.length === 0 && this.evals.length === 0) return;
    this.post({ type: 'runAppend', steps: stepColumns(this.steps), evals: evalColumns(this.evals) });
    this.steps = [];
    this.evals = [];
  }
}
