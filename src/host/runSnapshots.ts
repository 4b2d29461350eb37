/**
 * The head snapshots of the run shown now (protocol/snapshots.ts) and the step the dashboard's
 * scrubber is on. Fed by the training controller (a run's probe when it starts, then each
 * snapshot as the worker takes it) and by loading a checkpoint (the snapshots it carries, or
 * none); read by the dashboard (which draws the matrix, the grid, the head table and the
 * score-over-steps plot from them) and by the highlighter (which shows the scrubbed step's
 * attention on the probe window in the editor).
 *
 * Everything from the worker is checked on arrival: a snapshot whose arrays disagree with the
 * run's shapes is dropped and logged, never drawn. Bounded: the worker keeps at most 64
 * snapshots and says when it thins them (`every` doubles), and this list follows it.
 *
 * No VS Code import (listeners, not EventEmitters): unit tests drive it directly.
 */

import { addSnapshot, checkRunSnapshots, checkSnapshot, type RunSnapshot, type RunSnapshots } from '../protocol/snapshots';
import { validated } from '../protocol/validation';

/** Where a run's training text came from: the probe's offsets are relative to it. */
export interface SnapshotSource {
  readonly documentKey: string;
  /** Offset of the training text in the document (the selection's start, or 0). */
  readonly textStart: number;
}

export type SnapshotChange = 'snapshots' | 'added' | 'scrub';

export interface SnapshotLog {
  warn(message: string): void;
}

export class RunSnapshotStore {
  private snapshots_: RunSnapshots | null = null;
  private source_: SnapshotSource | null = null;
  private step_: number | null = null;
  private readonly listeners = new Set<(change: SnapshotChange) => void>();

  constructor(private readonly log: SnapshotLog) {}

  /** The run's snapshots (null: none). */
  get snapshots(): RunSnapshots | null {
    return this.snapshots_;
  }

  /** The training text's document, when the run was trained here. */
  get source(): SnapshotSource | null {
    return this.source_;
  }

  /** The step the scrubber is on (null: live, the model as it is now). */
  get step(): number | null {
    return this.step_;
  }

  /** The snapshot scrubbed to, or null when live. */
  scrubbed(): RunSnapshot | null {
    if (this.step_ === null) return null;
    return this.snapshots_?.list.find((s) => s.step === this.step_) ?? null;
  }

  /** A run started (its probe and any snapshots it continues), or a model was loaded (source null); back to live. */
  reset(snapshots: RunSnapshots | null, source: SnapshotSource | null): void {
    let s = snapshots;
    if (s) {
      const v = validated(() => checkRunSnapshots(s!));
      if (!v.ok) {
        this.log.warn(`training snapshots from the engine were malformed and are not shown: ${v.reason}`);
        s = null;
      }
    }
    this.snapshots_ = s;
    this.source_ = s ? source : null;
    this.step_ = null;
    this.fire('snapshots');
  }

  /** A snapshot the worker just took; `every` is its interval now (a thinning drops the steps off it). */
  add(every: number, snapshot: RunSnapshot): void {
    const s = this.snapshots_;
    if (!s) return;
    const v = validated(() => checkSnapshot(snapshot, s.layers, s.heads, s.probe.ids.length));
    if (!v.ok || !(Number.isSafeInteger(every) && every >= 1)) {
      this.log.warn(`a training snapshot from the engine was malformed and is not shown: ${v.ok ? `every is ${every}` : v.reason}`);
      return;
    }
    const list = addSnapshot(s.list, snapshot, every);
    this.snapshots_ = { ...s, every, list };
    // The scrubbed step was thinned away: back to live rather than showing another step under its name.
    if (this.step_ !== null && !list.some((x) => x.step === this.step_)) this.step_ = null;
    this.fire('added');
  }

  /** Moves the scrubber to `step` (one of the snapshots' steps) or back to live (null); false when there is no such step. */
  scrub(step: number | null): boolean {
    if (step !== null && !this.snapshots_?.list.some((s) => s.step === step)) return false;
    if (step === this.step_) return true;
    this.step_ = step;
    this.fire('scrub');
    return true;
  }

  onDidChange(listener: (change: SnapshotChange) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private fire(change: SnapshotChange): void {
    for (const l of [...this.listeners]) l(change);
  }
}
