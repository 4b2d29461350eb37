/**
 * F16 and BF16 weights (16-bit patterns in this memory, as loaded from a Hugging Face
 * checkpoint) widened to float32 inside the kernels, eight values per 128-bit load:
 * - bf16 is the top half of a float32: zero-extend to 32 bits and shift left by 16;
 * - f16: sign apart, (bits & 0x7fff) << 13 puts the half's exponent and fraction in a float32's
 *   fields with the wrong bias; multiplying by 2^112 (= 2^(127 − 15)) rebiases it, exactly, and
 *   turns half subnormals (which land on float32 subnormals) into the right normal values too.
 *   Inf and NaN would come out wrong (finite), but weights are checked finite at load.
 * The matrix-vector products mirror decode.ts's matvec; widenF16/widenBf16 widen a whole matrix
 * into scratch for the linear layer's matrix product (kernels/wasmLinear.ts).
 */

import { hsum, madd } from './simd';

/** 2^112 as a float32. */
const REBIAS: f32 = reinterpret<f32>(0x77800000);

/** Lanes 0–3 (lo) or 4–7 of eight 16-bit values widened (bf: bf16, else f16). */
// @ts-ignore: decorator
@inline function widen4(v: v128, lo: bool, bf: bool): v128 {
  const u = lo ? i32x4.extend_low_i16x8_u(v) : i32x4.extend_high_i16x8_u(v);
  if (bf) return i32x4.shl(u, 16);
  const mag = f32x4.mul(i32x4.shl(v128.and(u, i32x4.splat(0x7fff)), 13), f32x4.splat(REBIAS));
  return v128.or(mag, i32x4.shl(v128.and(u, i32x4.splat(0x8000)), 16));
}

/** One 16-bit value widened. */
// @ts-ignore: decorator
@inline function widen1(h: u32, bf: bool): f32 {
  if (bf) return reinterpret<f32>(h << 16);
  const mag = reinterpret<f32>((h & 0x7fff) << 13) * REBIAS;
  return reinterpret<f32>(reinterpret<u32>(mag) | ((h & 0x8000) << 16));
}

// @ts-ignore: decorator
@inline function widenBody(src: usize, dst: usize, n: i32, bf: bool): void {
  const n8 = n & ~7;
  for (let i = 0; i < n8; i += 8) {
    const v = v128.load(src + (<usize>i << 1));
    v128.store(dst + (<usize>i << 2), widen4(v, true, bf));
    v128.store(dst + (<usize>i << 2) + 16, widen4(v, false, bf));
  }
  for (let i = n8; i < n; i++) store<f32>(dst + (<usize>i << 2), widen1(<u32>load<u16>(src + (<usize>i << 1)), bf));
}

/** dst[i] = the f16 src[i] as float32, i < n. */
export function widenF16(src: usize, dst: usize, n: i32): void {
  widenBody(src, dst, n, false);
}

/** dst[i] = the bf16 src[i] as float32, i < n. */
export function widenBf16(src: usize, dst: usize, n: i32): void {
  widenBody(src, dst, n, true);
}

/**
 * Σ_j W[row, j]·x[j] for one row of 16-bit weights, in decode.ts matvec's order exactly (eight
 * accumulators over 32 columns, then four at a time into the first, then one by one), so a
 * 16-bit matrix gives the floats its widened float32 copy gives.
 */
// @ts-ignore: decorator
@inline function rowDot(wr: usize, x: usize, cols: i32, bf: bool): f32 {
  const c32 = cols & ~31;
  const c4 = cols & ~3;
  let a = f32x4.splat(0), b = f32x4.splat(0), c = f32x4.splat(0), d = f32x4.splat(0);
  let e = f32x4.splat(0), f = f32x4.splat(0), g = f32x4.splat(0), h = f32x4.splat(0);
  let j = 0;
  for (; j < c32; j += 32) {
    const o = <usize>j << 2;
    const hw = wr + (<usize>j << 1);
    const v0 = v128.load(hw), v1 = v128.load(hw, 16), v2 = v128.load(hw, 32), v3 = v128.load(hw, 48);
    a = madd(widen4(v0, true, bf), v128.load(x + o), a);
    b = madd(widen4(v0, false, bf), v128.load(x + o + 16), b);
    c = madd(widen4(v1, true, bf), v128.load(x + o + 32), c);
    d = madd(widen4(v1, false, bf), v128.load(x + o + 48), d);
    e = madd(widen4(v2, true, bf), v128.load(x + o + 64), e);
    f = madd(widen4(v2, false, bf), v128.load(x + o + 80), f);
    g = madd(widen4(v3, true, bf), v128.load(x + o + 96), g);
    h = madd(widen4(v3, false, bf), v128.load(x + o + 112), h);
  }
  for (; j < c4; j += 4) a = madd(widen4(v128.load64_zero(wr + (<usize>j << 1)), true, bf), v128.load(x + (<usize>j << 2)), a);
  let s = hsum(f32x4.add(f32x4.add(f32x4.add(a, b), f32x4.add(c, d)), f32x4.add(f32x4.add(e, f), f32x4.add(g, h))));
  for (; j < cols; j++) s += widen1(<u32>load<u16>(wr + (<usize>j << 1)), bf) * load<f32>(x + (<usize>j << 2));
  return s;
}

/** One row at a time, as decode.ts's matvec (and for the same reason: one stream for the prefetcher). */
// @ts-ignore: decorator
@inline function matvecBody(w: usize, x: usize, bias: usize, y: usize, rows: i32, cols: i32, bf: bool): void {
  const rowBytes = <usize>cols << 1;
  for (let r = 0; r < rows; r++) {
    let s = rowDot(w + <usize>r * rowBytes, x, cols, bf);
    if (bias != 0) s += load<f32>(bias + (<usize>r << 2));
    store<f32>(y + (<usize>r << 2), s);
  }
}

/** y[r] = W[r, :]·x (+ bias[r] when bias ≠ 0), W [rows, cols] of f16 values. */
export function matvecF16(w: usize, x: usize, bias: usize, y: usize, rows: i32, cols: i32): void {
  matvecBody(w, x, bias, y, rows, cols, false);
}

/** y[r] = W[r, :]·x (+ bias[r] when bias ≠ 0), W [rows, cols] of bf16 values. */
export function matvecBf16(w: usize, x: usize, bias: usize, y: usize, rows: i32, cols: i32): void {
  matvecBody(w, x, bias, y, rows, cols, true);
}
