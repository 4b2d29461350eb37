/**
 * Kernels for decoding one token at a time (src/engine/inference/decoder.ts): a matrix-vector
 * product that reads the weights where they lie (no packing: each weight is read once per
 * token, so the product is bound by memory bandwidth, and packing would only add a copy), and
 * attention of one query per head over the key/value cache. Both work on byte offsets into
 * this module's memory, where the decoder keeps its weights, cache and vectors.
 */

import { exp1, exp4 } from './math';
import { hmax, hsum, madd } from './simd';

/**
 * y[r] = W[r, :]·x (+ bias[r] when bias ≠ 0) for r < rows; W is [rows, cols] row-major.
 *
 * One row at a time, four accumulators across it. Decode streams every weight from main
 * memory once per token, and the hardware prefetcher keeps up with one sequential stream:
 * reading four rows side by side (four interleaved streams, which would reuse each load of x)
 * halves the bandwidth it reaches (measured on x64, in C as in WebAssembly).
 */
export function matvec(w: usize, x: usize, bias: usize, y: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  const c32 = cols & ~31;
  const c4 = cols & ~3;
  for (let r = 0; r < rows; r++) {
    const wr = w + <usize>r * rowBytes;
    let a = f32x4.splat(0), b = f32x4.splat(0), c = f32x4.splat(0), d = f32x4.splat(0);
    let e = f32x4.splat(0), f = f32x4.splat(0), g = f32x4.splat(0), h = f32x4.splat(0);
    let j = 0;
    for (; j < c32; j += 32) {
      const o = <usize>j << 2;
      a = madd(v128.load(wr + o), v128.load(x + o), a);
      b = madd(v128.load(wr + o + 16), v128.load(x + o + 16), b);
      c = madd(v128.load(wr + o + 32), v128.load(x + o + 32), c);
      d = madd(v128.load(wr + o + 48), v128.load(x + o + 48), d);
      e = madd(v128.load(wr + o + 64), v128.load(x + o + 64), e);
      f = madd(v128.load(wr + o + 80), v128.load(x + o + 80), f);
      g = madd(v128.load(wr + o + 96), v128.load(x + o + 96), g);
      h = madd(v128.load(wr + o + 112), v128.load(x + o + 112), h);
    }
    for (; j < c4; j += 4) a = madd(v128.load(wr + (<usize>j << 2)), v128.load(x + (<usize>j << 2)), a);
    let s = hsum(f32x4.add(f32x4.add(f32x4.add(a, b), f32x4.add(c, d)), f32x4.add(f32x4.add(e, f), f32x4.add(g, h))));
    for (; j < cols; j++) s += load<f32>(wr + (<usize>j << 2)) * load<f32>(x + (<usize>j << 2));
    if (bias != 0) s += load<f32>(bias + (<usize>r << 2));
    store<f32>(y + (<usize>r << 2), s);
  }
}

/**
 * Rows [from, to) of up to three products that share x, stacked: the stack's first n0 rows are
 * W0·x (+ b0) into y0, the next n1 W1·x into y1, the last n2 W2·x into y2 (a bias of 0: none).
 * The query, key and value projections (or gate and up, n2 = 0) as one call, which compute
 * threads split by rows of the stack: parts big enough to be worth a thread each.
 */
export function matvecStack(
  w0: usize, b0: usize, y0: usize, n0: i32,
  w1: usize, b1: usize, y1: usize, n1: i32,
  w2: usize, b2: usize, y2: usize, n2: i32,
  x: usize, cols: i32, from: i32, to: i32,
): void {
  matvecRows(w0, b0, y0, x, cols, max(from, 0), min(to, n0));
  matvecRows(w1, b1, y1, x, cols, max(from - n0, 0), min(to - n0, n1));
  matvecRows(w2, b2, y2, x, cols, max(from - n0 - n1, 0), min(to - n0 - n1, n2));
}

/** Rows [r0, r1) of W·x (+ bias): matvec on that band of W. */
// @ts-ignore: decorator
@inline function matvecRows(w: usize, bias: usize, y: usize, x: usize, cols: i32, r0: i32, r1: i32): void {
  if (r1 <= r0) return;
  const at = <usize>r0 << 2;
  matvec(w + <usize>r0 * (<usize>cols << 2), x, bias != 0 ? bias + at : 0, y + at, r1 - r0, cols);
}

/** Σ a[j]·b[j] for j < n. */
// @ts-ignore: decorator
@inline function dot(a: usize, b: usize, n: i32): f32 {
  const n4 = n & ~3;
  let acc = f32x4.splat(0);
  for (let j = 0; j < n4; j += 4) acc = madd(v128.load(a + (<usize>j << 2)), v128.load(b + (<usize>j << 2)), acc);
  let s = hsum(acc);
  for (let j = n4; j < n; j++) s += load<f32>(a + (<usize>j << 2)) * load<f32>(b + (<usize>j << 2));
  return s;
}

/**
 * One query per head over the first n cached positions: for head h (key/value head
 * h / (nH / nKv)), att[h, t] = softmax_t(q_h·k_t · scale) and out_h = Σ_t att[h, t]·v_t.
 * q and out are [nH·hs]; the caches are [n, nKv·hs]; att is [nH, n].
 */
export function attnDecode(q: usize, kc: usize, vc: usize, out: usize, att: usize, n: i32, nH: i32, nKv: i32, hs: i32, scale: f32): void {
  attnDecodeHeads(q, kc, vc, out, att, n, nH, nKv, hs, scale, 0, nH);
}

/**
 * attnDecode() for heads [h0, h1) only: one compute thread's share.
 *
 * Decode attention is one short row per head, so the passes are laid out for SIMD across
 * positions: scores four positions at a time (their four dot products summed in one
 * transpose, in hsum's order), exp4 over four scores at once, and the weighted sum with each
 * 4-wide slice of the output held in a register over every position. Each value is the same
 * float as the one-at-a-time form (same products, same order of additions).
 */
export function attnDecodeHeads(q: usize, kc: usize, vc: usize, out: usize, att: usize, n: i32, nH: i32, nKv: i32, hs: i32, scale: f32, h0: i32, h1: i32): void {
  const group = nH / nKv;
  const ldkv = <usize>(nKv * hs) << 2;
  const hb = <usize>hs << 2;
  const hs4 = hs & ~3;
  const n4 = n & ~3;
  for (let h = h0; h < h1; h++) {
    const qh = q + <usize>h * hb;
    const kvOff = <usize>(h / group) * hb;
    const row = att + <usize>h * (<usize>n << 2);
    // Scores and their max.
    let vmax = f32x4.splat(-Infinity);
    let t = 0;
    if (hs4 == hs) {
      for (; t < n4; t += 4) {
        const k0 = kc + <usize>t * ldkv + kvOff;
        const k1 = k0 + ldkv, k2 = k1 + ldkv, k3 = k2 + ldkv;
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        for (let d = 0; d < hs; d += 4) {
          const o = <usize>d << 2;
          const qv = v128.load(qh + o);
          a0 = madd(qv, v128.load(k0 + o), a0);
          a1 = madd(qv, v128.load(k1 + o), a1);
          a2 = madd(qv, v128.load(k2 + o), a2);
          a3 = madd(qv, v128.load(k3 + o), a3);
        }
        const s = f32x4.mul(hsum4(a0, a1, a2, a3), f32x4.splat(scale));
        v128.store(row + (<usize>t << 2), s);
        vmax = f32x4.pmax(vmax, s);
      }
    }
    let max: f32 = hmax(vmax);
    for (; t < n; t++) {
      const s = dot(qh, kc + <usize>t * ldkv + kvOff, hs) * scale;
      store<f32>(row + (<usize>t << 2), s);
      if (s > max) max = s;
    }
    // Exponentials, summed one position at a time (the order of the scalar form).
    const vm = f32x4.splat(max);
    let sum: f32 = 0;
    for (t = 0; t < n4; t += 4) {
      const e = exp4(f32x4.sub(v128.load(row + (<usize>t << 2)), vm));
      v128.store(row + (<usize>t << 2), e);
      sum += f32x4.extract_lane(e, 0);
      sum += f32x4.extract_lane(e, 1);
      sum += f32x4.extract_lane(e, 2);
      sum += f32x4.extract_lane(e, 3);
    }
    for (; t < n; t++) {
      const e = exp1(load<f32>(row + (<usize>t << 2)) - max);
      store<f32>(row + (<usize>t << 2), e);
      sum += e;
    }
    const inv: f32 = 1 / sum;
    const vinv = f32x4.splat(inv);
    for (t = 0; t < n4; t += 4) v128.store(row + (<usize>t << 2), f32x4.mul(v128.load(row + (<usize>t << 2)), vinv));
    for (; t < n; t++) store<f32>(row + (<usize>t << 2), load<f32>(row + (<usize>t << 2)) * inv);
    // out_h = Σ_t att[t]·v_t, each 4-wide slice accumulated in a register.
    const oh = out + <usize>h * hb;
    const vh = vc + kvOff;
    for (let d = 0; d < hs4; d += 4) {
      const o = <usize>d << 2;
      let acc = f32x4.splat(0);
      for (t = 0; t < n; t++) acc = madd(f32x4.splat(load<f32>(row + (<usize>t << 2))), v128.load(vh + <usize>t * ldkv + o), acc);
      v128.store(oh + o, acc);
    }
    for (let d = hs4; d < hs; d++) {
      const o = <usize>d << 2;
      let acc: f32 = 0;
      for (t = 0; t < n; t++) acc += load<f32>(row + (<usize>t << 2)) * load<f32>(vh + <usize>t * ldkv + o);
      store<f32>(oh + o, acc);
    }
  }
}

/** [Σ a, Σ b, Σ c, Σ d]: four horizontal sums at once, each added in hsum's order. */
// @ts-ignore: decorator
@inline function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7)); // a0+a2, b0+b2, a1+a3, b1+b3
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
}
