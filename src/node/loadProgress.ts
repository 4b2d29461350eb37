/**
 * What a model load reports while it runs, and how it stops when asked: progress goes through a
 * throttle (a 60 MB file read in 16 MB pieces, then a check tensor by tensor, would otherwise post
 * a message per step; a slow disk reading gigabytes one every few milliseconds), and a load whose
 * AbortSignal fires stops at its next check with a LoadCancelledError, having changed nothing.
 * A cancellable parse yields to the event loop between its steps, so that a cancel message is
 * read while the weights are checked.
 */

import { runParseSteps, type ParseSteps } from '../engine';
import type { LoadProgress } from '../protocol/loadProgress';

export type { LoadPhase, LoadProgress } from '../protocol/loadProgress';
export type ProgressCallback = (progress: LoadProgress) => void;

/** The load was cancelled through its AbortSignal; nothing it read is kept. */
export class LoadCancelledError extends Error {
  constructor(readonly file: string) {
    super(`loading ${file} was cancelled`);
    this.name = 'LoadCancelledError';
  }
}

/** Throws a LoadCancelledError naming `file` once `signal` has fired. */
export function checkNotCancelled(signal: AbortSignal | undefined, file: string): void {
  if (signal?.aborted) throw new LoadCancelledError(file);
}

/**
 * Runs a parser's steps (engine checkpoint/finite.ts) to its result, reporting each; with a signal,
 * yields to the event loop after each step and stops with a LoadCancelledError once it fires.
 */
export async function runParse<T>(steps: ParseSteps<T>, file: string, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<T> {
  const report = onProgress && ((phase: 'check' | 'build', done: number, total: number) => onProgress({ phase, done, total }));
  if (!signal) return runParseSteps(steps, report);
  for (;;) {
    if (signal.aborted) {
      steps.return(undefined as never);
      throw new LoadCancelledError(file);
    }
    const r = steps.next();
    if (r.done) return r.value;
    report?.(r.value.phase, r.value.done, r.value.total);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

export interface ThrottleOptions {
  /** Least time between two messages of one phase (ms). */
  readonly intervalMs?: number;
  /** Least share of a phase between two of its messages. */
  readonly minStep?: number;
  readonly now?: () => number;
}

/**
 * Passes on a phase's first report, its last (done = total), and in between one at most every
 * `intervalMs` that moved at least `minStep` of the phase: a few messages for a fast load, at
 * most about 1/minStep per phase for a slow one. Repeats of what was last passed on are dropped.
 */
export function throttleProgress(emit: ProgressCallback, o: ThrottleOptions = {}): ProgressCallback {
  const intervalMs = o.intervalMs ?? 100;
  const minStep = o.minStep ?? 0.01;
  const now = o.now ?? Date.now;
  let last: LoadProgress | null = null;
  let lastAt = 0;
  return (p) => {
    const t = now();
    const fresh = last === null || last.phase !== p.phase || last.total !== p.total;
    if (!fresh && p.done === last!.done) return;
    const end = p.done >= p.total;
    const due = !fresh && t - lastAt >= intervalMs && p.done - last!.done >= minStep * p.total;
    if (!fresh && !end && !due) return;
    last = p;
    lastAt = t;
    emit(p);
  };
}
