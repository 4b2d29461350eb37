/**
 * Memory the kernels use in place: on the WebAssembly backend a block of its (shared) memory,
 * so weights read into it from a file are never copied again, by any kernel call; on the JS
 * backend a plain array. A block is reused once the returned array is garbage-collected: keep
 * it reachable as long as any view of it is used (a Tensor over it names it as its owner).
 */

import { backend } from './activeBackend';

/** A zeroed byte array of n bytes where the active backend's kernels work in place. */
export function residentBytes(n: number): Uint8Array {
  return backend().residentBytes?.(n) ?? new Uint8Array(n);
}
