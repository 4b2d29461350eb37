/**
 * Single-precision matrix product C[M,N] += op(A)[M,K] · op(B)[K,N], all row-major, in the
 * GotoBLAS/BLIS shape: B is packed a KC×NC block at a time into NR-wide column slivers, A
 * an MC×KC block at a time into MR-tall row slivers (both zero-padded to whole slivers),
 * and a register-blocked MR×NR micro-kernel runs over the packed data. Packing is where
 * the transposes go: the micro-kernel only ever sees one layout, so A·B, A·Bᵀ and Aᵀ·B
 * all run at the same speed. Tiles at the ragged edges are computed whole into a scratch
 * tile and only their valid part is added to (or stored in) C.
 *
 * gemm() takes row strides (so it can work on one head's columns of a [T, C] activation)
 * and a causal mode that skips work known to be zero or unused (attention's triangles).
 *
 * Pointers are byte offsets into this module's memory; the caller (kernels/wasmBackend.ts)
 * copies operands in, provides the workspace (matmulWorkspaceBytes) and copies C out.
 */

import { madd } from './simd';

export const MR: i32 = 4;
export const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = 128;
const NC: i32 = 1024;

/** Bytes of workspace matmul() needs (packed A block + packed B block + edge tile). */
export function matmulWorkspaceBytes(m: i32, k: i32, n: i32): i32 {
  const kc = min(KC, k);
  const mc = min(MC, roundUp(m, MR));
  const nc = min(NC, roundUp(n, NR));
  return (mc * kc + kc * nc + MR * NR) * 4 + 64;
}

// @ts-ignore: decorator
@inline function roundUp(x: i32, to: i32): i32 {
  return (x + to - 1) / to * to;
}

/** gemm modes: which part of the product is needed or non-zero (row i, column j, inner p). */
export const DENSE: i32 = 0;
/** Only C[i, j] with j ≤ i + past is needed: tiles wholly above that diagonal are skipped. */
export const OUT_CAUSAL: i32 = 1;
/** op(A)[i, p] is zero for p > i + past (a causal P or dS read as stored). */
export const K_UPPER: i32 = 2;
/** op(A)[i, p] is zero for p < i − past (a causal P or dS read transposed). */
export const K_LOWER: i32 = 3;

/**
 * C (+)= op(A)·op(B) for contiguous row-major operands. transA: A is stored [K,M]; transB:
 * B is stored [N,K]. Without accumulate C is overwritten (it need not be initialised).
 */
export function matmul(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, transA: bool, transB: bool, accumulate: bool, ws: usize): void {
  if (k == 0 && !accumulate) memory.fill(c, 0, <usize>m * <usize>n * 4);
  gemm(a, transA ? m : k, transA, b, transB ? k : n, transB, c, n, m, k, n, DENSE, 0, !accumulate, ws);
}

/**
 * matmul() on operands with row strides (in floats): how a product split by rows across
 * compute threads gives each thread its rows of C (op(A)'s rows at a + r0·lda, or at column
 * r0 of a transposed A).
 */
export function matmulStrided(a: usize, lda: i32, transA: bool, b: usize, ldb: i32, transB: bool, c: usize, ldc: i32, m: i32, k: i32, n: i32, accumulate: bool, ws: usize): void {
  if (k == 0 && !accumulate) for (let i = 0; i < m; i++) memory.fill(c + <usize>i * <usize>ldc * 4, 0, <usize>n * 4);
  gemm(a, lda, transA, b, ldb, transB, c, ldc, m, k, n, DENSE, 0, !accumulate, ws);
}

/**
 * C[M,N] (+)= op(A)·op(B) with row strides lda, ldb, ldc (in floats) and a causal `mode`
 * (with `past`: row i is query i + past's position). Parts of C a mode skips are left
 * untouched. `overwrite` (DENSE and OUT_CAUSAL only) stores instead of adding, so C need
 * not be initialised.
 */
export function gemm(a: usize, lda: i32, transA: bool, b: usize, ldb: i32, transB: bool, c: usize, ldc: i32, m: i32, k: i32, n: i32, mode: i32, past: i32, overwrite: bool, ws: usize): void {
  if (m <= 0 || n <= 0 || k <= 0) return;
  ws = (ws + 15) & ~15;
  const kcMax = min(KC, k);
  const pa = ws;
  const pb = pa + <usize>(min(MC, roundUp(m, MR)) * kcMax) * 4;
  const tile = pb + <usize>(kcMax * min(NC, roundUp(n, NR))) * 4;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      if (transB) packBT(b, ldb, pc, jc, kc, nc, pb);
      else packBN(b, ldb, pc, jc, kc, nc, pb);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        if (mode == OUT_CAUSAL && jc > ic + mc - 1 + past) continue;
        if (mode == K_UPPER && pc > ic + mc - 1 + past) continue;
        if (mode == K_LOWER && pc + kc - 1 < ic - past) continue;
        if (transA) packAT(a, lda, pc, ic, kc, mc, pa);
        else packAN(a, lda, pc, ic, kc, mc, pa);
        macroKernel(pa, pb, c + (<usize>ic * <usize>ldc + <usize>jc) * 4, ldc, mc, nc, kc, tile, mode, ic, jc, pc, past, !(overwrite && pc == 0));
      }
    }
  }
}

function macroKernel(pa: usize, pb: usize, c: usize, ldc: i32, mc: i32, nc: i32, kc: i32, tile: usize, mode: i32, ic: i32, jc: i32, pc: i32, past: i32, acc: bool): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const bs = pb + <usize>(jr * kc) * 4;
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = min(MR, mc - ir);
      // The slice [k0, k1) of this k-block that the tile's rows can use.
      let k0 = 0, k1 = kc;
      if (mode != DENSE) {
        const i0 = ic + ir;
        if (mode == OUT_CAUSAL) {
          if (jc + jr > i0 + mr - 1 + past) continue;
        } else if (mode == K_UPPER) {
          k1 = min(kc, i0 + mr + past - pc);
        } else {
          k0 = max(0, i0 - past - pc);
        }
        if (k1 <= k0) continue;
      }
      const as = pa + <usize>(ir * kc + k0 * MR) * 4;
      const bk = bs + <usize>(k0 * NR) * 4;
      const ct = c + (<usize>ir * <usize>ldc + <usize>jr) * 4;
      if (mr == MR && nr == NR) {
        micro4x8(as, bk, ct, ldc, k1 - k0, acc);
      } else {
        micro4x8(as, bk, tile, NR, k1 - k0, false);
        for (let i = 0; i < mr; i++) {
          const row = ct + <usize>(i * ldc) * 4;
          for (let j = 0; j < nr; j++) {
            const t = load<f32>(tile + ((i * NR + j) << 2));
            store<f32>(row + (j << 2), acc ? load<f32>(row + (j << 2)) + t : t);
          }
        }
      }
    }
  }
}

/** C[4×8] (+)= Â[kc][4] · B̂[kc][8]; C rows are ldc floats apart; acc: add to C, else store. */
function micro4x8(pa: usize, pb: usize, c: usize, ldc: i32, kc: i32, acc: bool): void {
  const l = <usize>ldc << 2;
  const c1 = c + l, c2 = c1 + l, c3 = c2 + l;
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  if (acc) {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c1); c11 = v128.load(c1, 16);
    c20 = v128.load(c2); c21 = v128.load(c2, 16);
    c30 = v128.load(c3); c31 = v128.load(c3, 16);
  }
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let av = v128.load32_splat(pa);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
    av = v128.load32_splat(pa, 4);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
    av = v128.load32_splat(pa, 8);
    c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
    av = v128.load32_splat(pa, 12);
    c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
    pa += 16;
    pb += 32;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c1, c10); v128.store(c1, c11, 16);
  v128.store(c2, c20); v128.store(c2, c21, 16);
  v128.store(c3, c30); v128.store(c3, c31, 16);
}

// ---- packing: Â[panel][p][MR], B̂[panel][p][NR], zero-padded ----

/** 4×4 transpose of rows r0..r3, stored as four columns 'stride' bytes apart. */
// @ts-ignore: decorator
@inline function transpose4Store(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, stride: usize): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(dst + stride, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

/** A stored [M,K] (row i at a + i·lda): each panel is MR rows read across, written down. */
function packAN(a: usize, lda: i32, pc: i32, ic: i32, kc: i32, mc: i32, dst: usize): void {
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const rows = min(MR, mc - i0);
    const src = a + (<usize>(ic + i0) * <usize>lda + <usize>pc) * 4;
    const rs = <usize>lda << 2;
    let p = 0;
    if (rows == MR) {
      for (; p + 4 <= kc; p += 4) {
        const s = src + (<usize>p << 2);
        transpose4Store(v128.load(s), v128.load(s + rs), v128.load(s + 2 * rs), v128.load(s + 3 * rs), dst + (<usize>p << 4), 16);
      }
    }
    for (; p < kc; p++) {
      for (let ii = 0; ii < MR; ii++) {
        store<f32>(dst + (<usize>(p * MR + ii) << 2), ii < rows ? load<f32>(src + <usize>ii * rs + (<usize>p << 2)) : 0);
      }
    }
    dst += <usize>(kc * MR) << 2;
  }
}

/** A stored [K,M] (Aᵀ is used): each panel row is MR contiguous values. */
function packAT(a: usize, lda: i32, pc: i32, ic: i32, kc: i32, mc: i32, dst: usize): void {
  const rs = <usize>lda << 2;
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const rows = min(MR, mc - i0);
    let src = a + (<usize>pc * <usize>lda + <usize>(ic + i0)) * 4;
    if (rows == MR) {
      for (let p = 0; p < kc; p++) {
        v128.store(dst + (<usize>p << 4), v128.load(src));
        src += rs;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let ii = 0; ii < MR; ii++) store<f32>(dst + (<usize>(p * MR + ii) << 2), ii < rows ? load<f32>(src + (<usize>ii << 2)) : 0);
        src += rs;
      }
    }
    dst += <usize>(kc * MR) << 2;
  }
}

/** B stored [K,N]: each panel row is NR contiguous values. */
function packBN(b: usize, ldb: i32, pc: i32, jc: i32, kc: i32, nc: i32, dst: usize): void {
  const rs = <usize>ldb << 2;
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const cols = min(NR, nc - j0);
    let src = b + (<usize>pc * <usize>ldb + <usize>(jc + j0)) * 4;
    if (cols == NR) {
      for (let p = 0; p < kc; p++) {
        const d = dst + (<usize>p << 5);
        v128.store(d, v128.load(src));
        v128.store(d, v128.load(src, 16), 16);
        src += rs;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let jj = 0; jj < NR; jj++) store<f32>(dst + (<usize>(p * NR + jj) << 2), jj < cols ? load<f32>(src + (<usize>jj << 2)) : 0);
        src += rs;
      }
    }
    dst += <usize>(kc * NR) << 2;
  }
}

/** B stored [N,K] (Bᵀ is used): each panel is NR rows of B read across, written down. */
function packBT(b: usize, ldb: i32, pc: i32, jc: i32, kc: i32, nc: i32, dst: usize): void {
  const rs = <usize>ldb << 2;
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const cols = min(NR, nc - j0);
    const src = b + (<usize>(jc + j0) * <usize>ldb + <usize>pc) * 4;
    let p = 0;
    if (cols == NR) {
      for (; p + 4 <= kc; p += 4) {
        const s = src + (<usize>p << 2);
        const d = dst + (<usize>p << 5);
        transpose4Store(v128.load(s), v128.load(s + rs), v128.load(s + 2 * rs), v128.load(s + 3 * rs), d, 32);
        const s4 = s + 4 * rs;
        transpose4Store(v128.load(s4), v128.load(s4 + rs), v128.load(s4 + 2 * rs), v128.load(s4 + 3 * rs), d + 16, 32);
      }
    }
    for (; p < kc; p++) {
      for (let jj = 0; jj < NR; jj++) {
        store<f32>(dst + (<usize>(p * NR + jj) << 2), jj < cols ? load<f32>(src + <usize>jj * rs + (<usize>p << 2)) : 0);
      }
    }
    dst += <usize>(kc * NR) << 2;
  }
}
