/**
 * How the WebAssembly backend splits a kernel call across compute threads (computeThreads.ts):
 * whether a call is big enough to pay for waking the helpers, and the parts. Row boundaries
 * fall on multiples of the kernels' register tile (4 rows), so every output value is summed in
 * the same order as by one thread: results do not depend on the thread count.
 */

import type { ComputeThreads } from './computeThreads';

/**
 * Multiply-adds a part must have for a split to pay: waking a helper and waiting for it costs
 * some microseconds, and a part this size takes tens of them (measured with the decode
 * matvecs of stories15M, see the bench `real`).
 */
export const MIN_PART_WORK = 48 * 1024;

/** The rows of a matrix product are split at multiples of this (the micro-kernel's tile height). */
export const ROW_ALIGN = 4;

/**
 * The number of parts for a call of `work` multiply-adds over `units` splittable units (rows,
 * heads) of which each part needs at least `minUnits`: 1 when there is no pool or too little work.
 */
export function partsFor(pool: ComputeThreads | null, work: number, units: number, minUnits = ROW_ALIGN): number {
  if (pool === null) return 1;
  const byWork = Math.floor(work / MIN_PART_WORK);
  const byUnits = Math.floor(units / minUnits);
  return Math.max(1, Math.min(pool.size, byWork, byUnits));
}

/** [r0, r1) ranges covering [0, n) in `parts` nearly equal pieces (boundaries at multiples of align; some may be empty). */
export function splitRange(n: number, parts: number, align = 1): [number, number][] {
  const blocks = Math.ceil(n / align);
  const out: [number, number][] = [];
  for (let i = 0; i < parts; i++) {
    const b0 = Math.floor((blocks * i) / parts),
      b1 = Math.floor((blocks * (i + 1)) / parts);
    out.push([Math.min(n, b0 * align), Math.min(n, b1 * align)]);
  }
  return out;
}
