/**
 * Plain-JavaScript reference kernels. Written for clarity first, then for the loop orders
 * that keep the innermost loop walking memory contiguously (the difference between ~0.3 and
 * ~2–3 GFLOP/s in V8). Inner loops are unrolled by four over the reduction axis so each
 * pass over a row of C does four multiply-adds per load/store of C.
 */

import type { Backend, MatmulOptions } from './backend';
import { attentionBackwardJs, attentionForwardJs } from './jsAttention';
import {
  accumulateJs,
  adamwStepJs,
  addRowsJs,
  crossEntropyBackwardJs,
  crossEntropyForwardJs,
  geluBackwardJs,
  geluForwardJs,
  layerNormBackwardJs,
  layerNormForwardJs,
  linearBackwardJs,
  linearForwardJs,
  rmsNormBackwardJs,
  rmsNormForwardJs,
  siluBackwardJs,
  siluForwardJs,
} from './jsLayers';
import { addAt } from '../elements';
import { jsDecode } from './jsDecode';
import { firstNonFiniteJs } from './jsFinite';
import { widenedCopy } from '../half';

export const jsBackend: Backend = {
  name: 'js',
  memoryBytes() {
    return 0;
  },
  matmul(a, b, c, m, k, n, options: MatmulOptions = {}) {
    if (!options.accumulate) c.fill(0, 0, m * n);
    if (options.transA && options.transB) matmulTT(a, b, c, m, k, n);
    else if (options.transA) matmulTN(a, b, c, m, k, n);
    else if (options.transB) matmulNT(a, b, c, m, k, n);
    else matmulNN(a, b, c, m, k, n);
  },
  attentionForward: attentionForwardJs,
  attentionBackward: attentionBackwardJs,
  linearForward(x, w, bias, y, rows, inF, outF) {
    linearForwardJs(jsBackend.matmul, x, w, bias, y, rows, inF, outF);
  },
  linearForwardHalf(x, w, bias, y, rows, inF, outF) {
    // The matrix product reads W once per row of x: widen it once, for this call only.
    linearForwardJs(jsBackend.matmul, x, widenedCopy(w), bias, y, rows, inF, outF);
  },
  linearBackward(x, w, dy, dx, dw, db, rows, inF, outF, store) {
    linearBackwardJs(jsBackend.matmul, x, w, dy, dx, dw, db, rows, inF, outF, store);
  },
  geluForward: geluForwardJs,
  geluBackward: geluBackwardJs,
  siluForward: siluForwardJs,
  siluBackward: siluBackwardJs,
  addRows: addRowsJs,
  accumulate: accumulateJs,
  zero: (a) => a.fill(0),
  layerNormForward: layerNormForwardJs,
  layerNormBackward: layerNormBackwardJs,
  rmsNormForward: rmsNormForwardJs,
  rmsNormBackward: rmsNormBackwardJs,
  crossEntropyForward: crossEntropyForwardJs,
  crossEntropyBackward: crossEntropyBackwardJs,
  adamwStep: adamwStepJs,
  decode: jsDecode,
  // Plain arrays are where the JS kernels work: nothing is resident elsewhere.
  residentBytes: () => null,
  firstNonFinite: firstNonFiniteJs,
};

/** C[M,N] += A[M,K] · B[K,N] */
function matmulNN(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number): void {
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    const ai = i * k;
    let p = 0;
    for (; p + 3 < k; p += 4) {
      const a0 = a[ai + p]!,
        a1 = a[ai + p + 1]!,
        a2 = a[ai + p + 2]!,
        a3 = a[ai + p + 3]!;
      const b0 = p * n,
        b1 = b0 + n,
        b2 = b1 + n,
        b3 = b2 + n;
      for (let j = 0; j < n; j++) {
        addAt(c, ci + j, a0 * b[b0 + j]! + a1 * b[b1 + j]! + a2 * b[b2 + j]! + a3 * b[b3 + j]!);
      }
    }
    for (; p < k; p++) {
      const a0 = a[ai + p]!;
      const b0 = p * n;
      for (let j = 0; j < n; j++) addAt(c, ci + j, a0 * b[b0 + j]!);
    }
  }
}

/** C[M,N] += A[M,K] · B[N,K]ᵀ — dot products of rows, four rows of B at a time. */
function matmulNT(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number): void {
  for (let i = 0; i < m; i++) {
    const ai = i * k;
    const ci = i * n;
    let j = 0;
    for (; j + 3 < n; j += 4) {
      const b0 = j * k,
        b1 = b0 + k,
        b2 = b1 + k,
        b3 = b2 + k;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let p = 0; p < k; p++) {
        const av = a[ai + p]!;
        s0 += av * b[b0 + p]!;
        s1 += av * b[b1 + p]!;
        s2 += av * b[b2 + p]!;
        s3 += av * b[b3 + p]!;
      }
      addAt(c, ci + j, s0);
      addAt(c, ci + j + 1, s1);
      addAt(c, ci + j + 2, s2);
      addAt(c, ci + j + 3, s3);
    }
    for (; j < n; j++) {
      const b0 = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ai + p]! * b[b0 + p]!;
      addAt(c, ci + j, s);
    }
  }
}

/** C[M,N] += A[K,M]ᵀ · B[K,N] — the weight-gradient shape: rank-1 updates, four at a time. */
function matmulTN(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number): void {
  let p = 0;
  for (; p + 3 < k; p += 4) {
    const ap0 = p * m,
      ap1 = ap0 + m,
      ap2 = ap1 + m,
      ap3 = ap2 + m;
    const b0 = p * n,
      b1 = b0 + n,
      b2 = b1 + n,
      b3 = b2 + n;
    for (let i = 0; i < m; i++) {
      const a0 = a[ap0 + i]!,
        a1 = a[ap1 + i]!,
        a2 = a[ap2 + i]!,
        a3 = a[ap3 + i]!;
      const ci = i * n;
      for (let j = 0; j < n; j++) {
        addAt(c, ci + j, a0 * b[b0 + j]! + a1 * b[b1 + j]! + a2 * b[b2 + j]! + a3 * b[b3 + j]!);
      }
    }
  }
  for (; p < k; p++) {
    const ap = p * m;
    const b0 = p * n;
    for (let i = 0; i < m; i++) {
      const a0 = a[ap + i]!;
      const ci = i * n;
      for (let j = 0; j < n; j++) addAt(c, ci + j, a0 * b[b0 + j]!);
    }
  }
}

/** C[M,N] += A[K,M]ᵀ · B[N,K]ᵀ — rare; written plainly. */
function matmulTT(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[p * m + i]! * b[j * k + p]!;
      addAt(c, i * n + j, s);
    }
  }
}
