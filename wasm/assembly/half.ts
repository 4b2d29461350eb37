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

/** Σ_j W[row, j]·x[j] for one row of 16-bit weights; two accumulators over eight columns. */
// @ts-ignore: decorator
@inline function rowDot(w0: usize, x: usize, cols: i32, bf: bool): f32 {
  const c8 = cols & ~7;
  let a = f32x4.splat(0),
    b = f32x4.splat(0);
  for (let j = 0; j < c8; j += 8) {
    const v = v128.load(w0 + (<usize>j << 1));
    const o = <usize>j << 2;
    a = madd(widen4(v, true, bf), v128.load(x + o), a);
    b = madd(widen4(v, false, bf), v128.load(x + o + 16), b);
  }
  let s = hsum(f32x4.add(a, b));
  for (let j = c8; j < cols; j++) s += widen1(<u32>load<u16>(w0 + (<usize>j << 1)), bf) * load<f32>(x + (<usize>j << 2));
  return s;
}

// @ts-ignore: decorator
@inline function matvecBody(w: usize, x: usize, bias: usize, y: usize, rows: i32, cols: i32, bf: bool): void {
  const rowBytes = <usize>cols << 1;
  const c8 = cols & ~7;
  let r = 0;
  // Four rows at a time: each load of x serves four rows, eight multiply-add chains.
  for (; r + 4 <= rows; r += 4) {
    const w0 = w + <usize>r * rowBytes;
    const w1 = w0 + rowBytes;
    const w2 = w1 + rowBytes;
    const w3 = w2 + rowBytes;
    let a0 = f32x4.splat(0), b0 = f32x4.splat(0);
    let a1 = f32x4.splat(0), b1 = f32x4.splat(0);
    let a2 = f32x4.splat(0), b2 = f32x4.splat(0);
    let a3 = f32x4.splat(0), b3 = f32x4.splat(0);
    for (let j = 0; j < c8; j += 8) {
      const o = <usize>j << 2;
      const h = <usize>j << 1;
      const xa = v128.load(x + o);
      const xb = v128.load(x + o + 16);
      const v0 = v128.load(w0 + h);
      const v1 = v128.load(w1 + h);
      const v2 = v128.load(w2 + h);
      const v3 = v128.load(w3 + h);
      a0 = madd(widen4(v0, true, bf), xa, a0);
      b0 = madd(widen4(v0, false, bf), xb, b0);
      a1 = madd(widen4(v1, true, bf), xa, a1);
      b1 = madd(widen4(v1, false, bf), xb, b1);
      a2 = madd(widen4(v2, true, bf), xa, a2);
      b2 = madd(widen4(v2, false, bf), xb, b2);
      a3 = madd(widen4(v3, true, bf), xa, a3);
      b3 = madd(widen4(v3, false, bf), xb, b3);
    }
    let s0 = hsum(f32x4.add(a0, b0));
    let s1 = hsum(f32x4.add(a1, b1));
    let s2 = hsum(f32x4.add(a2, b2));
    let s3 = hsum(f32x4.add(a3, b3));
    for (let j = c8; j < cols; j++) {
      const xj = load<f32>(x + (<usize>j << 2));
      const h = <usize>j << 1;
      s0 += widen1(<u32>load<u16>(w0 + h), bf) * xj;
      s1 += widen1(<u32>load<u16>(w1 + h), bf) * xj;
      s2 += widen1(<u32>load<u16>(w2 + h), bf) * xj;
      s3 += widen1(<u32>load<u16>(w3 + h), bf) * xj;
    }
    const yo = y + (<usize>r << 2);
    if (bias != 0) {
      const bo = bias + (<usize>r << 2);
      s0 += load<f32>(bo);
      s1 += load<f32>(bo, 4);
      s2 += load<f32>(bo, 8);
      s3 += load<f32>(bo, 12);
    }
    store<f32>(yo, s0);
    store<f32>(yo, s1, 4);
    store<f32>(yo, s2, 8);
    store<f32>(yo, s3, 12);
  }
  for (; r < rows; r++) {
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
