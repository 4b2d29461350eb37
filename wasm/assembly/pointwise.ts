/**
 * Element-wise and per-column kernels: GELU (tanh form) and SiLU forward and backward, sums
 * (the residual, broadcast rows, gradient accumulation), bias rows,
 * column sums (bias gradients), and the fused linear layer y = x·Wᵀ + b with its backward
 * (dx += dy·W, dW += dyᵀ·x, db += Σ rows of dy) so one call moves each operand once.
 *
 * A backward adds into its gradients unless told to overwrite them (storeDx, storeDw,
 * overwrite): a gradient's first contribution then writes every value, and its buffer need not
 * be zeroed first (Tensor.gradForContribution).
 */

import { exp4, tanh4 } from './math';
import { DENSE, gemm } from './matmul';

const GELU_C: f32 = 0.7978845608028654; // √(2/π)
const GELU_K: f32 = 0.044715;

/** out[i] = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) for i < n. */
export function geluForward(x: usize, out: usize, n: i32): void {
  const c = f32x4.splat(GELU_C), kk = f32x4.splat(GELU_K), half = f32x4.splat(0.5), one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    const u = f32x4.mul(c, f32x4.add(v, f32x4.mul(kk, f32x4.mul(v, f32x4.mul(v, v)))));
    v128.store(out + o, f32x4.mul(f32x4.mul(half, v), f32x4.add(one, tanh4(u))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    const u = GELU_C * (v + GELU_K * v * v * v);
    store<f32>(out + o, 0.5 * v * (1 + f32x4.extract_lane(tanh4(f32x4.splat(u)), 0)));
  }
}

/** dx[i] += dy[i] · gelu′(x[i]) for i < n (with `overwrite`: dx[i] = …). */
export function geluBackward(x: usize, dy: usize, dx: usize, n: i32, overwrite: bool): void {
  const zero = f32x4.splat(0);
  const c = f32x4.splat(GELU_C), kk = f32x4.splat(GELU_K), k3 = f32x4.splat(3 * GELU_K), half = f32x4.splat(0.5), one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    const v2 = f32x4.mul(v, v);
    const th = tanh4(f32x4.mul(c, f32x4.add(v, f32x4.mul(kk, f32x4.mul(v, v2)))));
    const du = f32x4.mul(c, f32x4.add(one, f32x4.mul(k3, v2)));
    const g = f32x4.add(f32x4.mul(half, f32x4.add(one, th)), f32x4.mul(f32x4.mul(f32x4.mul(half, v), f32x4.sub(one, f32x4.mul(th, th))), du));
    v128.store(dx + o, f32x4.add(overwrite ? zero : v128.load(dx + o), f32x4.mul(v128.load(dy + o), g)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    const th = f32x4.extract_lane(tanh4(f32x4.splat(GELU_C * (v + GELU_K * v * v * v))), 0);
    const du = GELU_C * (1 + 3 * GELU_K * v * v);
    store<f32>(dx + o, (overwrite ? 0 : load<f32>(dx + o)) + load<f32>(dy + o) * (0.5 * (1 + th) + 0.5 * v * (1 - th * th) * du));
  }
}

/** out[i] = x / (1 + e^−x) for i < n. */
export function siluForward(x: usize, out: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    v128.store(out + o, f32x4.div(v, f32x4.add(one, exp4(f32x4.neg(v)))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(out + o, v / (1 + f32x4.extract_lane(exp4(f32x4.splat(-v)), 0)));
  }
}

/** dx[i] += dy[i] · σ(x)·(1 + x·(1 − σ(x))) for i < n (with `overwrite`: dx[i] = …). */
export function siluBackward(x: usize, dy: usize, dx: usize, n: i32, overwrite: bool): void {
  const one = f32x4.splat(1),
    zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    const sg = f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(v))));
    const g = f32x4.mul(sg, f32x4.add(one, f32x4.mul(v, f32x4.sub(one, sg))));
    v128.store(dx + o, f32x4.add(overwrite ? zero : v128.load(dx + o), f32x4.mul(v128.load(dy + o), g)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    const sg: f32 = <f32>1 / (<f32>1 + f32x4.extract_lane(exp4(f32x4.splat(-v)), 0));
    store<f32>(dx + o, (overwrite ? 0 : load<f32>(dx + o)) + load<f32>(dy + o) * sg * (1 + v * (1 - sg)));
  }
}

/** out[r, j] = a[r, j] + b[j] for `rows` rows of m values (the residual sum when rows is 1). */
export function addRows(a: usize, b: usize, out: usize, rows: i32, m: i32): void {
  const rb = <usize>m << 2;
  for (let r = 0; r < rows; r++) {
    const ar = a + <usize>r * rb,
      orow = out + <usize>r * rb;
    let j = 0;
    for (; j + 4 <= m; j += 4) {
      const o = <usize>j << 2;
      v128.store(orow + o, f32x4.add(v128.load(ar + o), v128.load(b + o)));
    }
    for (; j < m; j++) {
      const o = <usize>j << 2;
      store<f32>(orow + o, load<f32>(ar + o) + load<f32>(b + o));
    }
  }
}

/** The n floats at `at` ← 0 (bulk memory: from JS, fill() on shared memory stores one value at a time, ~4× slower). */
export function zeroFloats(at: usize, n: i32): void {
  memory.fill(at, 0, <usize>n << 2);
}

/** dst[i] += src[i] for i < n. */
export function accumulate(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

/** Each of the `rows` rows of out[rows, n] ← bias[n] (or 0 when bias is 0). */
export function fillRows(out: usize, bias: usize, rows: i32, n: i32): void {
  const rb = <usize>n << 2;
  if (bias == 0) {
    memory.fill(out, 0, <usize>rows * rb);
    return;
  }
  for (let r = 0; r < rows; r++) memory.copy(out + <usize>r * rb, bias, rb);
}

/** acc[n] += Σ_r m[r, n] over `rows` rows. */
export function colSum(m: usize, acc: usize, rows: i32, n: i32): void {
  colSumStrided(m, n, acc, rows, n);
}

/** acc[n] += Σ_r m[r, n] over `rows` rows that are `ld` floats apart. */
function colSumStrided(m: usize, ld: i32, acc: usize, rows: i32, n: i32): void {
  const rb = <usize>ld << 2;
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const o = <usize>j << 2;
    let s0 = v128.load(acc + o), s1 = v128.load(acc + o, 16), s2 = v128.load(acc + o, 32), s3 = v128.load(acc + o, 48);
    let p = m + o;
    for (let r = 0; r < rows; r++) {
      s0 = f32x4.add(s0, v128.load(p));
      s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32));
      s3 = f32x4.add(s3, v128.load(p, 48));
      p += rb;
    }
    v128.store(acc + o, s0);
    v128.store(acc + o, s1, 16);
    v128.store(acc + o, s2, 32);
    v128.store(acc + o, s3, 48);
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    let s = load<f32>(acc + o);
    for (let r = 0; r < rows; r++) s += load<f32>(m + <usize>r * rb + o);
    store<f32>(acc + o, s);
  }
}

/** y[rows, outF] = x[rows, inF]·W[outF, inF]ᵀ + bias (bias 0: none). */
export function linearForward(x: usize, w: usize, bias: usize, y: usize, rows: i32, inF: i32, outF: i32, ws: usize): void {
  if (bias != 0) fillRows(y, bias, rows, outF);
  else if (inF == 0) memory.fill(y, 0, <usize>rows * <usize>outF * 4);
  gemm(x, inF, false, w, inF, true, y, outF, rows, inF, outF, DENSE, 0, bias == 0, ws);
}

/** dx += dy·W, dW += dyᵀ·x, db += Σ rows of dy; a 0 pointer skips that gradient; dx, dW stored instead with storeDx, storeDw. */
export function linearBackward(
  x: usize,
  w: usize,
  dy: usize,
  dx: usize,
  dw: usize,
  db: usize,
  rows: i32,
  inF: i32,
  outF: i32,
  ws: usize,
  storeDx: bool,
  storeDw: bool,
): void {
  linearBackwardPart(x, w, dy, dx, dw, db, rows, inF, outF, ws, 0, rows, 0, outF, storeDx, storeDw);
}

/**
 * One compute thread's share of linearBackward(): dx rows [r0, r1) and the dW rows and db
 * entries of output features [o0, o1). The shares of all threads are disjoint, so they run at
 * once without locks, and each sums in the same order as the whole call does.
 */
export function linearBackwardPart(
  x: usize,
  w: usize,
  dy: usize,
  dx: usize,
  dw: usize,
  db: usize,
  rows: i32,
  inF: i32,
  outF: i32,
  ws: usize,
  r0: i32,
  r1: i32,
  o0: i32,
  o1: i32,
  storeDx: bool,
  storeDw: bool,
): void {
  if (dx != 0 && r1 > r0) {
    const pdx = dx + <usize>r0 * <usize>inF * 4;
    // A product over nothing (no output features) stores nothing: a stored gradient is 0.
    if (storeDx && outF == 0) memory.fill(pdx, 0, <usize>(r1 - r0) * <usize>inF * 4);
    gemm(dy + <usize>r0 * <usize>outF * 4, outF, false, w, inF, false, pdx, inF, r1 - r0, outF, inF, DENSE, 0, storeDx, ws);
  }
  if (o1 <= o0) return;
  if (dw != 0) {
    const pdw = dw + <usize>o0 * <usize>inF * 4;
    if (storeDw && rows == 0) memory.fill(pdw, 0, <usize>(o1 - o0) * <usize>inF * 4);
    gemm(dy + (<usize>o0 << 2), outF, true, x, inF, false, pdw, inF, o1 - o0, rows, inF, DENSE, 0, storeDw, ws);
  }
  if (db != 0) colSumStrided(dy + (<usize>o0 << 2), outF, db + (<usize>o0 << 2), rows, o1 - o0);
}
