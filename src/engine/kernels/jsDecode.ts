/**
 * The plain-JS one-token decoding kernels (the DecodeKernels contract in backend.ts): the
 * reference the WebAssembly ones (wasm/assembly/decode.ts) are tested against, and what the
 * decoder uses on the JS backend. Plain arrays are "resident" here: nothing is ever copied.
 */

import { f16Table } from '../half';
import type { DecodeKernels } from './backend';

export const jsDecode: DecodeKernels = {
  alloc(n) {
    return new Float32Array(n);
  },
  resident() {
    return true;
  },
  matvec(w, x, bias, y, rows, cols) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let s = 0;
      for (let j = 0; j < cols; j++) s += w[o + j]! * x[j]!;
      y[r] = s + (bias ? bias[r]! : 0);
    }
  },
  matvecStack(parts, x, cols) {
    for (const p of parts) this.matvec(p.w, x, p.bias, p.y, p.rows, cols);
  },
  matvecHalf(w, x, bias, y, rows, cols) {
    // Widened per element: bf16 through a float32's top bits, f16 through the value table.
    const bits = w.bits;
    const table = w.dtype === 'f16' ? f16Table() : null;
    const u = new Uint32Array(1),
      f = new Float32Array(u.buffer);
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let s = 0;
      if (table) for (let j = 0; j < cols; j++) s += table[bits[o + j]!]! * x[j]!;
      else
        for (let j = 0; j < cols; j++) {
          u[0] = bits[o + j]! << 16;
          s += f[0]! * x[j]!;
        }
      y[r] = s + (bias ? bias[r]! : 0);
    }
  },
  attention(q, kc, vc, out, att, n, nH, nKv, hs, scale) {
    const group = nH / nKv;
    const ldkv = nKv * hs;
    for (let h = 0; h < nH; h++) {
      const qo = h * hs;
      const kvo = Math.floor(h / group) * hs;
      const row = h * n;
      let max = -Infinity;
      for (let t = 0; t < n; t++) {
        let s = 0;
        for (let d = 0; d < hs; d++) s += q[qo + d]! * kc[t * ldkv + kvo + d]!;
        s *= scale;
        att[row + t] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let t = 0; t < n; t++) {
        const e = Math.exp(att[row + t]! - max);
        att[row + t] = e;
        sum += e;
      }
      for (let d = 0; d < hs; d++) out[qo + d] = 0;
      for (let t = 0; t < n; t++) {
        const a = att[row + t]! / sum;
        att[row + t] = a;
        for (let d = 0; d < hs; d++) out[qo + d] = out[qo + d]! + a * vc[t * ldkv + kvo + d]!;
      }
    }
  },
};
