/**
 * The WebAssembly linear layer, forward and backward (wasm/assembly/pointwise.ts), split across
 * compute threads when big enough: the forward by rows of y; the backward by rows of dx and by
 * output features for dW and db (linearBackwardPart), so parts never write the same values.
 * 16-bit (F16/BF16) weights are widened inside, per call (wasmLinearForwardHalf).
 * Kept apart from wasmBackend.ts (which delegates to them) for length.
 */

import type { HalfBits } from '../half';
import type { GradientStore } from './backend';
import { jsBackend } from './jsBackend';
import type { WasmContext } from './wasmAttention';
import { partsFor, ROW_ALIGN, splitRange } from './wasmThreads';

export function wasmLinearForward(
  ctx: WasmContext,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
  rows: number,
  inF: number,
  outF: number,
): void {
  linearForwardOn(ctx, x, w, null, bias, y, rows, inF, outF);
}

/**
 * The forward with 16-bit weights: W is widened into per-call scratch (one SIMD pass, split
 * across threads like the product) and the float32 product runs on that. The product packs W's
 * panels anyway, so the widening costs about one more such pass; the float32 copy exists only
 * for the call, and the weights stay 16-bit in memory.
 */
export function wasmLinearForwardHalf(
  ctx: WasmContext,
  x: Float32Array,
  w: HalfBits,
  bias: Float32Array | null,
  y: Float32Array,
  rows: number,
  inF: number,
  outF: number,
): void {
  linearForwardOn(ctx, x, null, w, bias, y, rows, inF, outF);
}

function linearForwardOn(
  ctx: WasmContext,
  x: Float32Array,
  w: Float32Array | null,
  half: HalfBits | null,
  bias: Float32Array | null,
  y: Float32Array,
  rows: number,
  inF: number,
  outF: number,
): void {
  const ar = ctx.arena;
  const pool = ctx.pool();
  const parts = partsFor(pool, rows * inF * outF, rows);
  const wsFloats = ctx.workspace([rows, inF, outF]);
  const nW = outF * inF;
  // Half weights not in the kernels' memory (loaded while another backend was active) are copied in first.
  const bitsCopy = half && !ar.holds(half.bits) ? Math.ceil(nW / 2) : 0;
  const o = ar.place([ar.operand(x, rows * inF), w ? ar.operand(w, nW) : nW, ar.operand(bias, outF), ar.operand(y, rows * outF), wsFloats * parts, bitsCopy]);
  if (!o) return half ? jsBackend.linearForwardHalf(x, half, bias, y, rows, inF, outF) : jsBackend.linearForward(x, w!, bias, y, rows, inF, outF);
  const [px, pw, pb, py, ws, pcopy] = o as [number, number, number, number, number, number];
  ar.put(px, x, rows * inF);
  if (w) ar.put(pw, w, nW);
  ar.put(pb, bias, outF);
  if (half) {
    if (bitsCopy) new Uint16Array(ctx.ex.memory.buffer, pcopy, nW).set(half.bits);
    const src = bitsCopy ? pcopy : half.bits.byteOffset;
    const kernel = half.dtype === 'f16' ? 'widenF16' : 'widenBf16';
    if (pool && parts > 1) {
      pool.run(splitRange(nW, parts, 8).map(([a, b]) => ({ op: kernel, args: [src + a * 2, pw + a * 4, b - a] })));
    } else {
      ctx.ex[kernel](src, pw, nW);
    }
  }
  if (pool && parts > 1) {
    pool.run(
      splitRange(rows, parts, ROW_ALIGN).map(([r0, r1], i) => ({
        op: 'linearForward',
        args: [px + r0 * inF * 4, pw, pb, py + r0 * outF * 4, r1 - r0, inF, outF, ws + i * wsFloats * 4],
      })),
    );
  } else {
    ctx.ex.linearForward(px, pw, pb, py, rows, inF, outF, ws);
  }
  ar.get(py, y, rows * outF);
}

export function wasmLinearBackward(
  ctx: WasmContext,
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  dx: Float32Array | null,
  dw: Float32Array | null,
  db: Float32Array | null,
  rows: number,
  inF: number,
  outF: number,
  store: GradientStore = {},
): void {
  const ar = ctx.arena;
  const pool = ctx.pool();
  const storeDx = dx !== null && store.dx === true,
    storeDw = dw !== null && store.dw === true;
  const parts = partsFor(pool, rows * inF * outF * ((dx ? 1 : 0) + (dw ? 1 : 0)), Math.min(dx ? rows : outF, dw || db ? outF : rows));
  const wsFloats = ctx.workspace([rows, outF, inF], [outF, rows, inF]);
  const o = ar.place([
    dw ? ar.operand(x, rows * inF) : 0,
    dx ? ar.operand(w, outF * inF) : 0,
    ar.operand(dy, rows * outF),
    ar.operand(dx, rows * inF),
    ar.operand(dw, outF * inF),
    ar.operand(db, outF),
    wsFloats * parts,
  ]);
  if (!o) return jsBackend.linearBackward(x, w, dy, dx, dw, db, rows, inF, outF, store);
  const [px, pw, pdy, pdx, pdw, pdb, ws] = o as [number, number, number, number, number, number, number];
  if (dw) ar.put(px, x, rows * inF);
  if (dx) ar.put(pw, w, outF * inF);
  ar.put(pdy, dy, rows * outF);
  // A gradient the kernel stores needs no copy in: whatever it holds is overwritten.
  if (!storeDx) ar.put(pdx, dx, rows * inF);
  if (!storeDw) ar.put(pdw, dw, outF * inF);
  ar.put(pdb, db, outF);
  if (pool && parts > 1) {
    // Each thread: some rows of dx, and some output features' rows of dW and entries of db.
    const dxRows = splitRange(rows, parts, ROW_ALIGN),
      dwRows = splitRange(outF, parts, ROW_ALIGN);
    pool.run(
      dxRows.map(([r0, r1], i) => ({
        op: 'linearBackwardPart',
        args: [px, pw, pdy, pdx, pdw, pdb, rows, inF, outF, ws + i * wsFloats * 4, r0, r1, dwRows[i]![0], dwRows[i]![1], +storeDx, +storeDw],
      })),
    );
  } else {
    ctx.ex.linearBackward(px, pw, pdy, pdx, pdw, pdb, rows, inF, outF, ws, +storeDx, +storeDw);
  }
  ar.get(pdx, dx, rows * inF);
  ar.get(pdw, dw, outF * inF);
  ar.get(pdb, db, outF);
}
