/**
 * The WebAssembly element-wise and per-row kernels: GELU/SiLU forward and backward, the sums
 * (residual, broadcast rows, gradient accumulation), LayerNorm and RMSNorm. Compute-bound ones
 * are split across compute threads when big enough (split); memory-bound ones are not (see
 * TRANSCENDENTAL_WORK). Each returns to the JS reference when the memory cannot grow. Kept
 * apart from wasmBackend.ts (which delegates to them) for length.
 */

import { jsBackend } from './jsBackend';
import type { WasmContext } from './wasmAttention';
import type { KernelExports } from './wasmExports';
import { partsFor, splitRange } from './wasmThreads';

/** A function the kernel module exports. */
type KernelName = Exclude<keyof KernelExports, 'memory'>;

/**
 * What one value of an element-wise kernel costs, in the multiply-adds partsFor() counts: a
 * tanh or exp (~34, measured: GELU ~1.4 ns a value against ~0.04 ns a multiply-add in a
 * matrix product), or a normalised value (two passes over its row).
 *
 * Memory-bound kernels (sums, AdamW) are not split at all: measured in a `small` training step
 * on 2 threads, a part took ~50 µs and waking a helper that had gone to sleep between calls
 * took as long again, so the split calls were slower than one thread.
 */
const TRANSCENDENTAL_WORK = 32;
const NORM_WORK = 8;

/**
 * Calls kernel `op` with `args(from, to)` over units [0, n) — values or rows — or, when there
 * is enough `work` for the compute threads, once per part at the same time. Parts start at
 * multiples of `align` units (16 values: every value goes through the same SIMD lanes as in
 * one call, so results do not depend on the thread count).
 */
function split(ctx: WasmContext, op: KernelName, n: number, work: number, align: number, args: (from: number, to: number) => number[]): void {
  const pool = ctx.pool();
  const parts = partsFor(pool, work, n, align);
  if (parts <= 1) (ctx.ex[op] as (...a: number[]) => void)(...args(0, n));
  else pool!.run(splitRange(n, parts, align).map(([a, b]) => ({ op, args: args(a, b) })));
}

/** An element-wise kernel `op(...pointers, count, ...flags)` over n values at byte offsets `at`. */
function elementwise(ctx: WasmContext, op: KernelName, at: readonly number[], n: number, work: number, flags: readonly number[] = []): void {
  split(ctx, op, n, work, 16, (a, b) => [...at.map((p) => p + 4 * a), b - a, ...flags]);
}

/** An element-wise kernel f(x) → out. */
export function wasmUnary(ctx: WasmContext, op: KernelName, x: Float32Array, out: Float32Array, n: number): boolean {
  const ar = ctx.arena;
  const o = ar.place([ar.operand(x, n), ar.operand(out, n)]);
  if (!o) return false;
  const [px, py] = o as [number, number];
  ar.put(px, x, n);
  elementwise(ctx, op, [px, py], n, n * TRANSCENDENTAL_WORK);
  ar.get(py, out, n);
  return true;
}

/** An element-wise backward dx += dy·f′(x) (with `store`, dx = …). */
export function wasmUnaryBackward(ctx: WasmContext, op: KernelName, x: Float32Array, dy: Float32Array, dx: Float32Array, n: number, store: boolean): boolean {
  const ar = ctx.arena;
  const o = ar.place([ar.operand(x, n), ar.operand(dy, n), ar.operand(dx, n)]);
  if (!o) return false;
  const [px, pdy, pdx] = o as [number, number, number];
  ar.put(px, x, n);
  ar.put(pdy, dy, n);
  if (!store) ar.put(pdx, dx, n);
  elementwise(ctx, op, [px, pdy, pdx], n, n * TRANSCENDENTAL_WORK, [store ? 1 : 0]);
  ar.get(pdx, dx, n);
  return true;
}

export function wasmAddRows(ctx: WasmContext, a: Float32Array, b: Float32Array, out: Float32Array, rows: number, m: number): void {
  const ar = ctx.arena;
  const n = rows * m;
  const o = ar.place([ar.operand(a, n), ar.operand(b, m), ar.operand(out, n)]);
  if (!o) return jsBackend.addRows(a, b, out, rows, m);
  const [pa, pb, pout] = o as [number, number, number];
  ar.put(pa, a, n);
  ar.put(pb, b, m);
  ctx.ex.addRows(pa, pb, pout, rows, m);
  ar.get(pout, out, n);
}

export function wasmAccumulate(ctx: WasmContext, dst: Float32Array, src: Float32Array, n: number): void {
  const ar = ctx.arena;
  const o = ar.place([ar.operand(dst, n), ar.operand(src, n)]);
  if (!o) return jsBackend.accumulate(dst, src, n);
  const [pd, ps] = o as [number, number];
  ar.put(pd, dst, n);
  ar.put(ps, src, n);
  ctx.ex.accumulate(pd, ps, n);
  ar.get(pd, dst, n);
}

export function wasmLayerNormForward(
  ctx: WasmContext,

  x: Float32Array,
  w: Float32Array,
  b: Float32Array | null,
  y: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
  rows: number,
  c: number,
  eps: number,
): void {
  const ar = ctx.arena;
  const n = rows * c;
  const o = ar.place([ar.operand(x, n), ar.operand(w, c), ar.operand(b, c), ar.operand(y, n), ar.operand(mean, rows), ar.operand(rstd, rows)]);
  if (!o) return jsBackend.layerNormForward(x, w, b, y, mean, rstd, rows, c, eps);
  const [px, pw, pb, py, pm, pr] = o as [number, number, number, number, number, number];
  ar.put(px, x, n);
  ar.put(pw, w, c);
  ar.put(pb, b, c);
  split(ctx, 'layerNormForward', rows, n * NORM_WORK, 1, (r0, r1) => [px + 4 * r0 * c, pw, pb, py + 4 * r0 * c, pm + 4 * r0, pr + 4 * r0, r1 - r0, c, eps]);
  ar.get(py, y, n);
  ar.get(pm, mean, rows);
  ar.get(pr, rstd, rows);
}

export function wasmLayerNormBackward(
  ctx: WasmContext,

  x: Float32Array,
  w: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
  dy: Float32Array,
  dx: Float32Array | null,
  dw: Float32Array | null,
  db: Float32Array | null,
  rows: number,
  c: number,
): void {
  const ar = ctx.arena;
  const n = rows * c;
  const o = ar.place([
    ar.operand(x, n),
    ar.operand(w, c),
    ar.operand(mean, rows),
    ar.operand(rstd, rows),
    ar.operand(dy, n),
    ar.operand(dx, n),
    ar.operand(dw, c),
    ar.operand(db, c),
  ]);
  if (!o) return jsBackend.layerNormBackward(x, w, mean, rstd, dy, dx, dw, db, rows, c);
  const [px, pw, pm, pr, pdy, pdx, pdw, pdb] = o as [number, number, number, number, number, number, number, number];
  ar.put(px, x, n);
  ar.put(pw, w, c);
  ar.put(pm, mean, rows);
  ar.put(pr, rstd, rows);
  ar.put(pdy, dy, n);
  ar.put(pdx, dx, n);
  ar.put(pdw, dw, c);
  ar.put(pdb, db, c);
  ctx.ex.layerNormBackward(px, pw, pm, pr, pdy, pdx, pdw, pdb, rows, c);
  ar.get(pdx, dx, n);
  ar.get(pdw, dw, c);
  ar.get(pdb, db, c);
}

export function wasmRmsNormForward(
  ctx: WasmContext,
  x: Float32Array,
  w: Float32Array,
  y: Float32Array,
  rrms: Float32Array,
  rows: number,
  c: number,
  eps: number,
): void {
  const ar = ctx.arena;
  const n = rows * c;
  const o = ar.place([ar.operand(x, n), ar.operand(w, c), ar.operand(y, n), ar.operand(rrms, rows)]);
  if (!o) return jsBackend.rmsNormForward(x, w, y, rrms, rows, c, eps);
  const [px, pw, py, pr] = o as [number, number, number, number];
  ar.put(px, x, n);
  ar.put(pw, w, c);
  split(ctx, 'rmsNormForward', rows, n * NORM_WORK, 1, (r0, r1) => [px + 4 * r0 * c, pw, py + 4 * r0 * c, pr + 4 * r0, r1 - r0, c, eps]);
  ar.get(py, y, n);
  ar.get(pr, rrms, rows);
}

export function wasmRmsNormBackward(
  ctx: WasmContext,

  x: Float32Array,
  w: Float32Array,
  rrms: Float32Array,
  dy: Float32Array,
  dx: Float32Array | null,
  dw: Float32Array | null,
  rows: number,
  c: number,
): void {
  const ar = ctx.arena;
  const n = rows * c;
  const o = ar.place([ar.operand(x, n), ar.operand(w, c), ar.operand(rrms, rows), ar.operand(dy, n), ar.operand(dx, n), ar.operand(dw, c)]);
  if (!o) return jsBackend.rmsNormBackward(x, w, rrms, dy, dx, dw, rows, c);
  const [px, pw, pr, pdy, pdx, pdw] = o as [number, number, number, number, number, number];
  ar.put(px, x, n);
  ar.put(pw, w, c);
  ar.put(pr, rrms, rows);
  ar.put(pdy, dy, n);
  ar.put(pdx, dx, n);
  ar.put(pdw, dw, c);
  ctx.ex.rmsNormBackward(px, pw, pr, pdy, pdx, pdw, rows, c);
  ar.get(pdx, dx, n);
  ar.get(pdw, dw, c);
}
