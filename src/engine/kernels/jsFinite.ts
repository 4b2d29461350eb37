/**
 * The plain-JS non-finite scan (the reference for wasm/assembly/finite.ts, and what the load-time
 * check uses where the weights are not in the kernels' memory): on the floats' bits, in one
 * monomorphic integer loop (a loop on ArrayLike<number> that also sees other array types runs
 * an order of magnitude slower, and the check is on every load's path).
 */

/** A float32 is NaN or ±Inf exactly when all eight of its exponent bits are set. */
const EXPONENT = 0x7f800000;

/** Index of the first NaN or ±Inf in `data`, or -1. */
export function firstNonFiniteJs(data: Float32Array): number {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < bits.length; i++) if ((bits[i]! & EXPONENT) === EXPONENT) return i;
  return -1;
}
