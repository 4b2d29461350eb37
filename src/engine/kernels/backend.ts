/**
 * The hot loops behind one interface. The plain-JS backend is the reference that tests
 * compare against; faster backends (WebAssembly SIMD) are drop-in replacements chosen
 * with setBackend(). Ops never loop over matmuls themselves: they call the active backend.
 */

import { jsBackend } from './jsBackend';

export interface MatmulOptions {
  /** Read A as stored [K, M] and use its transpose. */
  readonly transA?: boolean;
  /** Read B as stored [N, K] and use its transpose. */
  readonly transB?: boolean;
  /** Add into C instead of overwriting it (how gradients accumulate). */
  readonly accumulate?: boolean;
}

export interface Backend {
  readonly name: string;
  /**
   * C[M, N] (+)= op(A)[M, K] · op(B)[K, N], all row-major.
   * A is stored [M, K] (or [K, M] with transA); B is stored [K, N] (or [N, K] with transB).
   */
  matmul(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, options?: MatmulOptions): void;
}

let active: Backend = jsBackend;

export function backend(): Backend {
  return active;
}

export function setBackend(next: Backend): void {
  active = next;
}
