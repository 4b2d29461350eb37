/**
 * Causal self-attention for one (batch item, head), forward and backward, as five GEMMs
 * around a row softmax, each told which triangle is zero or unused (matmul.ts modes):
 *
 *   forward   S = Q·Kᵀ (scaled)   P = softmax of each row's visible keys   O = P·V
 *   backward  dP = dO·Vᵀ   dV += Pᵀ·dO   dS = P ⊙ (dP − rowsum(P ⊙ dP)) · scale
 *             dQ += dS·K   dK += dSᵀ·Q
 *
 * Each call handles T query rows (a chunk of a head's queries, so long sequences need only a
 * chunk-sized P in memory); query row i sees keys 0 … min(i + past, Tk − 1), and only the
 * first n = min(Tk, T + past) keys are touched. A past ≥ Tk − 1 lets every row see every key:
 * that is how non-causal (encoder) attention runs through the same code. Q, O, dO, dQ rows are `ldq` floats apart and K, V,
 * dK, dV rows `ldkv` apart (one head's columns inside [T, C] activations); P, S and dP are
 * [T, Tk] contiguous. Hard attention uses the one-hot argmax of P in the forward and for dV,
 * and is straight-through the softmax otherwise.
 */

import { exp4, exp1 } from './math';
import { hmax, hsum } from './simd';
import { gemm, K_LOWER, K_UPPER, OUT_CAUSAL } from './matmul';

/**
 * O (+)= attention for one head; P gets the soft weights (zeros above the causal diagonal),
 * `scores` (if not 0) the scaled pre-softmax scores (−Inf above it), `hardIdx` (if not 0)
 * the argmax key per query, in which case O rows are overwritten with those value rows.
 */
export function attnForwardHead(q: usize, k: usize, v: usize, out: usize, p: usize, scores: usize, hardIdx: usize, T: i32, Tk: i32, past: i32, ldq: i32, ldkv: i32, hs: i32, scale: f32, ws: usize): void {
  const rowBytes = <usize>Tk << 2;
  const n = min(Tk, T + past);
  if (hs == 0) memory.fill(p, 0, <usize>T * rowBytes);
  gemm(q, ldq, false, k, ldkv, true, p, Tk, T, hs, n, OUT_CAUSAL, past, true, ws);
  for (let t = 0; t < T; t++) {
    const row = p + <usize>t * rowBytes;
    const vis = min(t + past + 1, Tk);
    softmaxScaledRow(row, vis, Tk, scale, scores != 0 ? scores + <usize>t * rowBytes : 0);
  }
  if (hardIdx != 0) {
    const vb = <usize>hs << 2;
    for (let t = 0; t < T; t++) {
      const row = p + <usize>t * rowBytes;
      const vis = min(t + past + 1, Tk);
      let arg = 0;
      let best = load<f32>(row);
      for (let j = 1; j < vis; j++) {
        const w = load<f32>(row + (<usize>j << 2));
        if (w > best) {
          best = w;
          arg = j;
        }
      }
      store<i32>(hardIdx + (<usize>t << 2), arg);
      memory.copy(out + <usize>t * <usize>ldq * 4, v + <usize>arg * <usize>ldkv * 4, vb);
    }
  } else {
    gemm(p, Tk, false, v, ldkv, false, out, ldq, T, n, hs, K_UPPER, past, false, ws);
  }
}

/**
 * row[0, vis) ← softmax(scale · row[0, vis)), row[vis, n) ← 0; `scores` (if not 0) gets
 * scale · row with −Inf from vis on. Max-subtracted, as the JS reference: the max is taken
 * with pmax, which like the reference's `x > max` passes over NaN (a NaN score still makes
 * its row NaN through the sum), and is unrolled because the NaN-correct f32x4.max costs V8
 * eight dependent instructions per step.
 */
function softmaxScaledRow(row: usize, vis: i32, n: i32, scale: f32, scores: usize): void {
  const sv = f32x4.splat(scale);
  let j = 0;
  let m0 = f32x4.splat(-Infinity), m1 = m0;
  for (; j + 8 <= vis; j += 8) {
    const o = row + (<usize>j << 2);
    m0 = f32x4.pmax(m0, v128.load(o));
    m1 = f32x4.pmax(m1, v128.load(o, 16));
  }
  for (; j + 4 <= vis; j += 4) m0 = f32x4.pmax(m0, v128.load(row + (<usize>j << 2)));
  m0 = f32x4.pmax(m0, m1);
  let m = hmax(m0);
  for (; j < vis; j++) {
    const x = load<f32>(row + (<usize>j << 2));
    if (x > m) m = x;
  }
  if (scores != 0) {
    j = 0;
    for (; j + 4 <= vis; j += 4) v128.store(scores + (<usize>j << 2), f32x4.mul(v128.load(row + (<usize>j << 2)), sv));
    for (; j < vis; j++) store<f32>(scores + (<usize>j << 2), load<f32>(row + (<usize>j << 2)) * scale);
    for (let i = vis; i < n; i++) store<f32>(scores + (<usize>i << 2), -Infinity);
  }
  // e = exp(x·scale − m·scale): the reference's scaled scores minus their max, unrounded alike.
  const ms = m * scale;
  const mv = f32x4.splat(ms);
  let s0 = f32x4.splat(0), s1 = s0;
  j = 0;
  for (; j + 8 <= vis; j += 8) {
    const o = row + (<usize>j << 2);
    const e0 = exp4(f32x4.sub(f32x4.mul(v128.load(o), sv), mv));
    const e1 = exp4(f32x4.sub(f32x4.mul(v128.load(o, 16), sv), mv));
    v128.store(o, e0);
    v128.store(o, e1, 16);
    s0 = f32x4.add(s0, e0);
    s1 = f32x4.add(s1, e1);
  }
  for (; j + 4 <= vis; j += 4) {
    const o = row + (<usize>j << 2);
    const e = exp4(f32x4.sub(f32x4.mul(v128.load(o), sv), mv));
    v128.store(o, e);
    s0 = f32x4.add(s0, e);
  }
  let s = hsum(f32x4.add(s0, s1));
  for (; j < vis; j++) {
    const o = row + (<usize>j << 2);
    const e = exp1(load<f32>(o) * scale - ms);
    store<f32>(o, e);
    s += e;
  }
  const invs = <f32>1 / s;
  const inv = f32x4.splat(invs);
  j = 0;
  for (; j + 4 <= vis; j += 4) v128.store(row + (<usize>j << 2), f32x4.mul(v128.load(row + (<usize>j << 2)), inv));
  for (; j < vis; j++) store<f32>(row + (<usize>j << 2), load<f32>(row + (<usize>j << 2)) * invs);
  if (vis < n) memory.fill(row + (<usize>vis << 2), 0, <usize>(n - vis) << 2);
}

/**
 * Gradients of one head into dq, dk, dv (each 0 when not wanted; accumulated). `p` holds the
 * forward's soft weights; `dp` is [T, Tk] scratch; `hardIdx` (if not 0) the forward's argmax.
 */
export function attnBackwardHead(q: usize, k: usize, v: usize, p: usize, hardIdx: usize, dy: usize, dq: usize, dk: usize, dv: usize, dp: usize, T: i32, Tk: i32, past: i32, ldq: i32, ldkv: i32, hs: i32, scale: f32, ws: usize): void {
  const rowBytes = <usize>Tk << 2;
  const n = min(Tk, T + past);
  if (dv != 0) {
    if (hardIdx != 0) {
      for (let t = 0; t < T; t++) {
        const arg = load<i32>(hardIdx + (<usize>t << 2));
        addRow(dv + <usize>arg * <usize>ldkv * 4, dy + <usize>t * <usize>ldq * 4, hs);
      }
    } else {
      gemm(p, Tk, true, dy, ldq, false, dv, ldkv, n, T, hs, K_LOWER, past, false, ws);
    }
  }
  if (dq == 0 && dk == 0) return;
  if (hs == 0) memory.fill(dp, 0, <usize>T * rowBytes);
  gemm(dy, ldq, false, v, ldkv, true, dp, Tk, T, hs, n, OUT_CAUSAL, past, true, ws);
  for (let t = 0; t < T; t++) {
    const vis = min(t + past + 1, Tk);
    softmaxBackwardRow(p + <usize>t * rowBytes, dp + <usize>t * rowBytes, vis, Tk, scale);
  }
  if (dq != 0) gemm(dp, Tk, false, k, ldkv, false, dq, ldq, T, n, hs, K_UPPER, past, false, ws);
  if (dk != 0) gemm(dp, Tk, true, q, ldq, false, dk, ldkv, n, T, hs, K_LOWER, past, false, ws);
}

/** dp[0, vis) ← p ⊙ (dp − Σ p ⊙ dp) · scale; dp[vis, n) ← 0. */
function softmaxBackwardRow(p: usize, dp: usize, vis: i32, n: i32, scale: f32): void {
  let j = 0;
  let acc = f32x4.splat(0);
  for (; j + 4 <= vis; j += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(p + (<usize>j << 2)), v128.load(dp + (<usize>j << 2))));
  let dot = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; j < vis; j++) dot += load<f32>(p + (<usize>j << 2)) * load<f32>(dp + (<usize>j << 2));
  const dv = f32x4.splat(dot), sv = f32x4.splat(scale);
  j = 0;
  for (; j + 4 <= vis; j += 4) {
    const a = dp + (<usize>j << 2);
    v128.store(a, f32x4.mul(f32x4.mul(v128.load(p + (<usize>j << 2)), f32x4.sub(v128.load(a), dv)), sv));
  }
  for (; j < vis; j++) {
    const a = dp + (<usize>j << 2);
    store<f32>(a, load<f32>(p + (<usize>j << 2)) * (load<f32>(a) - dot) * scale);
  }
  if (vis < n) memory.fill(dp + (<usize>vis << 2), 0, <usize>(n - vis) << 2);
}

/** dst[0, n) += src[0, n). */
function addRow(dst: usize, src: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(dst + (<usize>j << 2), f32x4.add(v128.load(dst + (<usize>j << 2)), v128.load(src + (<usize>j << 2))));
  for (; j < n; j++) store<f32>(dst + (<usize>j << 2), load<f32>(dst + (<usize>j << 2)) + load<f32>(src + (<usize>j << 2)));
}
