/**
 * The training runs kept in this workspace: every run trained in the editor (and the history
 * each loaded checkpoint carried) is added here when it ends, newest first, so the next run
 * does not wipe it and the dashboard can compare them. Stored in the workspace state, bounded
 * (presentation/keptRuns.ts: at most 12 runs, each thinned to 2,000 steps), and read back
 * after a window reload as untrusted data.
 *
 * No VS Code import: the memento is anything with get/update, so unit tests drive it directly.
 */

import { boundRun, decodeRuns, encodeRun, MAX_KEPT_RUNS } from '../presentation/keptRuns';
import type { KeptRun } from '../protocol/runs';

export const RUNS_KEY = 'attentionLens.runs';

export interface RunMemento {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

export class RunHistory {
  private runs: KeptRun[];
  private readonly listeners = new Set<() => void>();
  private saving: PromiseLike<void> = Promise.resolve();

  constructor(private readonly memento: RunMemento) {
    this.runs = decodeRuns(memento.get<unknown>(RUNS_KEY));
  }

  /** Newest first. */
  list(): readonly KeptRun[] {
    return this.runs;
  }

  get(id: string): KeptRun | undefined {
    return this.runs.find((r) => r.id === id);
  }

  /** The run that left this checkpoint (as its last or its validation-best one). */
  byCheckpoint(path: string): KeptRun | undefined {
    return this.runs.find((r) => r.checkpointPath === path || r.best?.path === path);
  }

  /** Adds (or replaces, by id) a run at the front; the oldest beyond the bound is dropped. */
  add(run: KeptRun): void {
    this.runs = [boundRun(run), ...this.runs.filter((r) => r.id !== run.id)].slice(0, MAX_KEPT_RUNS);
    this.changed();
  }

  remove(id: string): void {
    const before = this.runs.length;
    this.runs = this.runs.filter((r) => r.id !== id);
    if (this.runs.length !== before) this.changed();
  }

  /** Resolves when the last change is stored. */
  flushed(): PromiseLike<void> {
    return this.saving;
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private changed(): void {
    this.saving = this.memento.update(RUNS_KEY, this.runs.map(encodeRun));
    for (const l of [...this.listeners]) l();
  }
}
