/**
 * Finite-difference gradient checking: the independent reference for every hand-written
 * backward. The scalar checked is L = Σ r ⊙ f(inputs) for a fixed random r, so every
 * output element's gradient path is exercised. Central differences, double-precision sums.
 */

import assert from 'node:assert/strict';
import { Tape } from '../../src/engine/autograd';
import { Rng } from '../../src/engine/random';
import { Tensor } from '../../src/engine/tensor';

export interface GradCheckOptions {
  readonly eps?: number;
  readonly rtol?: number;
  readonly atol?: number;
  /** Check at most this many elements per input (spread evenly); default all. */
  readonly maxChecks?: number;
  readonly seed?: number;
}

export function randomTensor(rng: Rng, shape: number[], scale = 1, requiresGrad = true): Tensor {
  const t = Tensor.zeros(shape, requiresGrad);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal() * scale;
  return t;
}

export function gradCheck(inputs: Tensor[], f: (tape: Tape | null) => Tensor, options: GradCheckOptions = {}): void {
  const eps = options.eps ?? 1e-3;
  const rtol = options.rtol ?? 2e-2;
  const atol = options.atol ?? 2e-3;
  const rng = new Rng(options.seed ?? 7);
  const probe = f(null);
  const r = new Float32Array(probe.size);
  for (let i = 0; i < r.length; i++) r[i] = rng.normal();
  const objective = (): number => {
    const y = f(null).data;
    let s = 0;
    for (let i = 0; i < y.length; i++) s += r[i]! * y[i]!;
    return s;
  };

  for (const t of inputs) t.grad = null;
  const tape = new Tape();
  const y = f(tape);
  tape.backwardFrom(y, r);

  inputs.forEach((t, which) => {
    const analytic = t.grad ?? new Float32Array(t.size);
    const n = t.size;
    const step = options.maxChecks && n > options.maxChecks ? Math.ceil(n / options.maxChecks) : 1;
    for (let i = 0; i < n; i += step) {
      const orig = t.data[i]!;
      t.data[i] = orig + eps;
      const fp = objective();
      t.data[i] = orig - eps;
      const fm = objective();
      t.data[i] = orig;
      const numeric = (fp - fm) / (2 * eps);
      const a = analytic[i]!;
      const tol = atol + rtol * Math.max(Math.abs(a), Math.abs(numeric));
      assert.ok(Math.abs(a - numeric) <= tol, `input ${which} [${t.shape.join(', ')}] element ${i}: analytic ${a} vs numeric ${numeric}`);
    }
  });
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what = 'values'): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!,
      e = expected[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${what}[${i}]: ${a} vs expected ${e} (tol ${tol})`);
  }
}
