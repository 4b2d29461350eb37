/**
 * Weights read from a file must be finite numbers: a NaN or ±Inf anywhere in a weight spreads
 * through every later computation (attention weights become NaN, JSON shows null, sampling
 * picks nothing sensible) without any error. Every reader checks its tensors here before it
 * builds a model, and the message names the tensor and the first bad value's position.
 */

import { CheckpointError } from './errors';

/** Index of the first NaN or ±Inf in `data`, or -1. */
export function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    // x − x is 0 for every finite x and NaN for NaN and ±Inf.
    if (x - x !== 0) return i;
  }
  return -1;
}

/** How far a parser is: 'check' counts the weights checked for non-finite values, 'build' the steps of making the model. */
export interface ParseStep {
  readonly phase: 'check' | 'build';
  readonly done: number;
  readonly total: number;
}

/** A parser's progress callback (a large file takes a noticeable time to check). */
export type ParseProgress = (phase: ParseStep['phase'], done: number, total: number) => void;

/**
 * A parse as steps, for a caller that reports progress and lets other work (a cancel) in between:
 * a step is yielded before the check and after each tensor is checked, and at the start and end of
 * building; the model is the return value. Run whole by runParseSteps.
 */
export type ParseSteps<T> = Generator<ParseStep, T, void>;

/** Runs a parse's steps to its result at once, telling `onProgress` each one. */
export function runParseSteps<T>(steps: ParseSteps<T>, onProgress?: ParseProgress): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    onProgress?.(r.value.phase, r.value.done, r.value.total);
  }
}

type NamedData = readonly [string, { readonly data: ArrayLike<number> }];

/** checkFiniteTensors as steps: the values checked so far of all, before the first tensor and after each. */
export function* finiteCheckSteps(
  tensors: Iterable<NamedData>,
  what = 'weight',
  makeError: (message: string) => Error = (m) => new CheckpointError(m),
): Generator<ParseStep, void, void> {
  const list = [...tensors];
  const total = list.reduce((n, [, t]) => n + t.data.length, 0);
  let done = 0;
  yield { phase: 'check', done, total };
  for (const [name, t] of list) {
    const i = firstNonFinite(t.data);
    if (i >= 0) {
      let count = 0;
      for (let j = i; j < t.data.length; j++) if (t.data[j]! - t.data[j]! !== 0) count++;
      throw makeError(
        `${what} "${name}" holds ${count} non-finite value${count === 1 ? '' : 's'} of ${t.data.length} (the first, at index ${i}, is ${t.data[i]}); the file is corrupt or was saved from a diverged run`,
      );
    }
    done += t.data.length;
    yield { phase: 'check', done, total };
  }
}

/** Throws a CheckpointError naming the first tensor that holds a NaN or ±Inf. */
export function checkFiniteTensors(tensors: Iterable<NamedData>, what = 'weight', makeError: (message: string) => Error = (m) => new CheckpointError(m)): void {
  runParseSteps(finiteCheckSteps(tensors, what, makeError));
}
