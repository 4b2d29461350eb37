/**
 * A whole Llama-family block for one decoded token in one call: RMSNorm, the q/k/v products,
 * RoPE, the cache write, attention, the output product and residual, RMSNorm, SwiGLU and the
 * down product and residual (what src/engine/inference/decoder.ts does kernel by kernel). One
 * call per layer leaves no per-token arithmetic to JavaScript, which a short-lived process (a
 * CLI run) would otherwise spend warming up, and no argument marshalling: the block's arrays
 * and sizes are a descriptor of 32-bit words (BLOCK_* below, written once by wasmDecode.ts).
 */

import { attnDecodeHeads, matvec } from './decode';
import { rmsNormForward } from './norm';
import { exp4 } from './math';

// Descriptor words: byte offsets of the working vectors, the weights (a bias of 0: none), the
// caches and RoPE tables, then the sizes. Keep in step with BLOCK_WORDS in wasmDecode.ts.
const X = 0, XB = 1, Q = 2, K = 3, V = 4, ATT_OUT = 5, ATT = 6, H1 = 7, H2 = 8, PROJ = 9, STAT = 10;
const NORM1 = 11, WQ = 12, BQ = 13, WK = 14, BK = 15, WV = 16, BV = 17, WO = 18, BO = 19;
const NORM2 = 20, WG = 21, BG = 22, WU = 23, BU = 24, WD = 25, BD = 26;
const KC = 27, VC = 28, COS = 29, SIN = 30;
const DIM_C = 31, DIM_F = 32, HEADS = 33, KV_HEADS = 34, HEAD_SIZE = 35, ROT_HALF = 36, INTERLEAVED = 37, EPS = 38, SCALE = 39;

// @ts-ignore: decorator
@inline function word(d: usize, i: i32): usize {
  return <usize>load<u32>(d + (<usize>i << 2));
}

/** Runs the block described at `d` for the token at position `pos`, updating x in place. */
export function llamaBlock(d: usize, pos: i32): void {
  const C = <i32>word(d, DIM_C), F = <i32>word(d, DIM_F);
  const H = <i32>word(d, HEADS), nKv = <i32>word(d, KV_HEADS), hs = <i32>word(d, HEAD_SIZE);
  const kvC = nKv * hs;
  const eps = load<f32>(d + (<usize>EPS << 2));
  const x = word(d, X), xb = word(d, XB), q = word(d, Q), k = word(d, K), v = word(d, V);
  const proj = word(d, PROJ), h1 = word(d, H1), h2 = word(d, H2);

  rmsNormForward(x, word(d, NORM1), xb, word(d, STAT), 1, C, eps);
  matvec(word(d, WQ), xb, word(d, BQ), q, C, C);
  matvec(word(d, WK), xb, word(d, BK), k, kvC, C);
  matvec(word(d, WV), xb, word(d, BV), v, kvC, C);
  const half = <i32>word(d, ROT_HALF), interleaved = word(d, INTERLEAVED) != 0;
  const cos = word(d, COS) + (<usize>(pos * half) << 2), sin = word(d, SIN) + (<usize>(pos * half) << 2);
  rope(q, H, hs, half, interleaved, cos, sin);
  rope(k, nKv, hs, half, interleaved, cos, sin);
  const row = <usize>(pos * kvC) << 2;
  memory.copy(word(d, KC) + row, k, <usize>kvC << 2);
  memory.copy(word(d, VC) + row, v, <usize>kvC << 2);
  const attOut = word(d, ATT_OUT);
  attnDecodeHeads(q, word(d, KC), word(d, VC), attOut, word(d, ATT), pos + 1, H, nKv, hs, load<f32>(d + (<usize>SCALE << 2)), 0, H);
  matvec(word(d, WO), attOut, word(d, BO), proj, C, C);
  addInto(x, proj, C);

  rmsNormForward(x, word(d, NORM2), xb, word(d, STAT), 1, C, eps);
  matvec(word(d, WG), xb, word(d, BG), h1, F, C);
  matvec(word(d, WU), xb, word(d, BU), h2, F, C);
  swiglu(h1, h2, F);
  matvec(word(d, WD), h1, word(d, BD), proj, C, F);
  addInto(x, proj, C);
}

/** Rotates each head's pairs by the position's angles (ops/rope.ts's conventions: pairs (2m, 2m+1) interleaved, else (m, m + half)). */
// @ts-ignore: decorator
@inline function rope(vec: usize, heads: i32, hs: i32, half: i32, interleaved: bool, cos: usize, sin: usize): void {
  for (let h = 0; h < heads; h++) {
    const base = h * hs;
    for (let m = 0; m < half; m++) {
      const i0 = interleaved ? base + 2 * m : base + m;
      const i1 = interleaved ? i0 + 1 : i0 + half;
      const p0 = vec + (<usize>i0 << 2), p1 = vec + (<usize>i1 << 2);
      const c = load<f32>(cos + (<usize>m << 2)), s = load<f32>(sin + (<usize>m << 2));
      const a = load<f32>(p0), e = load<f32>(p1);
      store<f32>(p0, a * c - e * s);
      store<f32>(p1, a * s + e * c);
    }
  }
}

/** a[i] = silu(a[i])·b[i] for i < n. */
// @ts-ignore: decorator
@inline function swiglu(a: usize, b: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(a + o);
    v128.store(a + o, f32x4.mul(f32x4.div(g, f32x4.add(one, exp4(f32x4.neg(g)))), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(a + o);
    store<f32>(a + o, (g / (1 + f32x4.extract_lane(exp4(f32x4.splat(-g)), 0))) * load<f32>(b + o));
  }
}

/** x[i] += y[i] for i < n. */
// @ts-ignore: decorator
@inline function addInto(x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.add(v128.load(x + o), v128.load(y + o)));
  }
  for (; i < n; i++) store<f32>(x + (<usize>i << 2), load<f32>(x + (<usize>i << 2)) + load<f32>(y + (<usize>i << 2)));
}
