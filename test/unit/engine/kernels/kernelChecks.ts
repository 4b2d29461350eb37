/**
 * Kernel-by-kernel comparison of a backend against the plain-JS reference on random data,
 * including awkward shapes (1, 3, 17, odd sizes, sizes straddling the WASM kernel's tiles:
 * MR 4, NR 8, KC 256, MC 128, NC 1024). Shared by the mocha suite and by the child process
 * that checks the relaxed-SIMD build under --experimental-wasm-relaxed-simd.
 */

import type { Backend } from '../../../../src/engine/kernels/backend';
import { jsBackend } from '../../../../src/engine/kernels/jsBackend';
import { Rng } from '../../../../src/engine/random';

export function randomArray(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}

/** Largest |a − e| / max(1, |e|); throws naming `what` when it exceeds tol. */
export function expectClose(actual: Float32Array, expected: Float32Array, tol: number, what: string): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (Number.isNaN(a) && Number.isNaN(e)) continue;
    if (a === e) continue; // ±Infinity
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) throw new Error(`${what}[${i}]: ${a} vs reference ${e} (tol ${tol})`);
  }
}

export const MATMUL_SHAPES: readonly (readonly [number, number, number])[] = [
  [1, 1, 1], [1, 3, 1], [3, 1, 17], [1, 17, 3], [3, 3, 3], [4, 8, 8], [5, 9, 7], [17, 17, 17],
  [33, 7, 65], [7, 300, 9], [130, 5, 12], [129, 257, 17], [3, 20, 1030], [64, 64, 64], [96, 128, 128],
];

/** Every transpose variant, overwrite and accumulate, on MATMUL_SHAPES (+ any extra shapes). */
export function checkMatmul(be: Backend, extra: readonly (readonly [number, number, number])[] = []): number {
  const rng = new Rng(11);
  let checked = 0;
  for (const [m, k, n] of [...MATMUL_SHAPES, ...extra]) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const accumulate of [false, true]) {
          const a = randomArray(rng, m * k), b = randomArray(rng, k * n), c0 = randomArray(rng, m * n);
          const want = c0.slice(), got = c0.slice();
          jsBackend.matmul(a, b, want, m, k, n, { transA, transB, accumulate });
          be.matmul(a, b, got, m, k, n, { transA, transB, accumulate });
          // Float32 sums of k terms in another order: error grows like √k·ε·|terms|.
          expectClose(got, want, 2e-6 * Math.sqrt(k) * 4, `${be.name} matmul ${m}×${k}×${n} transA=${transA} transB=${transB} accumulate=${accumulate}`);
          checked++;
        }
      }
    }
  }
  return checked;
}

/** Every kernel check; returns how many cases ran. */
export function checkAllKernels(be: Backend): number {
  return checkMatmul(be);
}
