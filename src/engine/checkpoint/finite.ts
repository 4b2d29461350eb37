/**
 * Weights read from a file must be finite numbers: a NaN or ±Inf anywhere in a weight spreads
 * through every later computation (attention weights become NaN, JSON shows null, sampling
 * picks nothing sensible) without any error. Every reader checks its tensors here before it
 * builds a model, and the message names the tensor and the first bad value's position.
 */

import { backend } from '../kernels/activeBackend';
import { firstNonFiniteJs } from '../kernels/jsFinite';
import { CheckpointError } from './errors';
import { runParseSteps, type ParseStep } from './parseSteps';

/** Index of the first NaN or ±Inf in `data`, or -1. */
export function firstNonFinite(data: ArrayLike<number>): number {
  if (data instanceof Float32Array) return firstNonFiniteF32(data);
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    // x − x is 0 for every finite x and NaN for NaN and ±Inf.
    if (x - x !== 0) return i;
  }
  return -1;
}

/** The same for float32 weights: in the kernels when they lie in the kernels' memory (SIMD, no JIT warm-up), else on their bits. */
function firstNonFiniteF32(data: Float32Array): number {
  return backend().firstNonFinite?.(data) ?? firstNonFiniteJs(data);
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
