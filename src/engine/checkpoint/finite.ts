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

/**
 * How far a parser is, for a caller that shows it (a large file takes a noticeable time to check):
 * 'check' counts the weights checked for non-finite values, 'build' the steps of making the model.
 */
export type ParseProgress = (phase: 'check' | 'build', done: number, total: number) => void;

/** Throws a CheckpointError naming the first tensor that holds a NaN or ±Inf; `onProgress` gets the values checked after each tensor. */
export function checkFiniteTensors(
  tensors: Iterable<readonly [string, { readonly data: ArrayLike<number> }]>,
  what = 'weight',
  makeError: (message: string) => Error = (m) => new CheckpointError(m),
  onProgress?: (done: number, total: number) => void,
): void {
  const list = onProgress ? [...tensors] : tensors;
  const total = onProgress ? (list as (readonly [string, { readonly data: ArrayLike<number> }])[]).reduce((n, [, t]) => n + t.data.length, 0) : 0;
  let done = 0;
  onProgress?.(0, total);
  for (const [name, t] of list) {
    const i = firstNonFinite(t.data);
    done += t.data.length;
    onProgress?.(done, total);
    if (i < 0) continue;
    let count = 0;
    for (let j = i; j < t.data.length; j++) if (t.data[j]! - t.data[j]! !== 0) count++;
    throw makeError(
      `${what} "${name}" holds ${count} non-finite value${count === 1 ? '' : 's'} of ${t.data.length} (the first, at index ${i}, is ${t.data[i]}); the file is corrupt or was saved from a diverged run`,
    );
  }
}
