/**
 * Reference kernels (plain JS) for the layers around the matmuls: the linear layer with its
 * bias, GELU, SiLU, LayerNorm, RMSNorm, the fused softmax + cross-entropy, and AdamW. The loops are the ones the ops had inline; ops/*.ts explain the maths.
 */

import type { AdamWStepParams, CrossEntropySums, GradientStore, MatmulOptions } from './backend';
import { addAt, mulAt } from '../elements';

type Matmul = (a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, options?: MatmulOptions) => void;

/** y[rows, outF] = x·Wᵀ + bias. */
export function linearForwardJs(
  matmul: Matmul,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
  rows: number,
  inF: number,
  outF: number,
): void {
  matmul(x, w, y, rows, inF, outF, { transB: true });
  if (bias) {
    for (let r = 0; r < rows; r++) {
      const o = r * outF;
      for (let j = 0; j < outF; j++) addAt(y, o + j, bias[j]!);
    }
  }
}

/** dx += dy·W, dW += dyᵀ·x, db += Σ rows of dy (each when given; dx, dW stored instead as `store` says). */
export function linearBackwardJs(
  matmul: Matmul,
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
  if (dx) matmul(dy, w, dx, rows, outF, inF, { accumulate: store.dx !== true });
  if (dw) matmul(dy, x, dw, outF, rows, inF, { transA: true, accumulate: store.dw !== true });
  if (db) {
    for (let r = 0; r < rows; r++) {
      const o = r * outF;
      for (let j = 0; j < outF; j++) addAt(db, j, dy[o + j]!);
    }
  }
}

export function addRowsJs(a: Float32Array, b: Float32Array, out: Float32Array, rows: number, m: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * m;
    for (let j = 0; j < m; j++) out[o + j] = a[o + j]! + b[j]!;
  }
}

export function accumulateJs(dst: Float32Array, src: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) addAt(dst, i, src[i]!);
}

const GELU_C = Math.sqrt(2 / Math.PI);

export function geluForwardJs(xd: Float32Array, out: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = xd[i]!;
    out[i] = 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v * v * v)));
  }
}

export function geluBackwardJs(xd: Float32Array, dy: Float32Array, dx: Float32Array, n: number, store = false): void {
  if (store) dx.fill(0, 0, n);
  for (let i = 0; i < n; i++) {
    const v = xd[i]!;
    const u = GELU_C * (v + 0.044715 * v * v * v);
    const th = Math.tanh(u);
    const du = GELU_C * (1 + 3 * 0.044715 * v * v);
    addAt(dx, i, dy[i]! * (0.5 * (1 + th) + 0.5 * v * (1 - th * th) * du));
  }
}

export function siluForwardJs(xd: Float32Array, out: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = xd[i]!;
    out[i] = v / (1 + Math.exp(-v));
  }
}

export function siluBackwardJs(xd: Float32Array, dy: Float32Array, dx: Float32Array, n: number, store = false): void {
  if (store) dx.fill(0, 0, n);
  for (let i = 0; i < n; i++) {
    const v = xd[i]!;
    const s = 1 / (1 + Math.exp(-v));
    addAt(dx, i, dy[i]! * s * (1 + v * (1 - s)));
  }
}

export function layerNormForwardJs(
  xd: Float32Array,
  w: Float32Array,
  b: Float32Array | null,
  out: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
  rows: number,
  c: number,
  eps: number,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    let m = 0;
    for (let j = 0; j < c; j++) m += xd[o + j]!;
    m /= c;
    let v = 0;
    for (let j = 0; j < c; j++) {
      const d = xd[o + j]! - m;
      v += d * d;
    }
    const rs = 1 / Math.sqrt(v / c + eps);
    mean[r] = m;
    rstd[r] = rs;
    for (let j = 0; j < c; j++) out[o + j] = (xd[o + j]! - m) * rs * w[j]! + (b ? b[j]! : 0);
  }
}

export function layerNormBackwardJs(
  xd: Float32Array,
  w: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
  dy: Float32Array,
  dx: Float32Array | null,
  dw: Float32Array | null,
  db: Float32Array | null,
  rows: number,
  c: number,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    const m = mean[r]!,
      rs = rstd[r]!;
    // With n = normalised x and g = dy·w: dx = rs · (g − mean(g) − n·mean(g·n)).
    let gMean = 0,
      gnMean = 0;
    for (let j = 0; j < c; j++) {
      const n = (xd[o + j]! - m) * rs;
      const g = dy[o + j]! * w[j]!;
      gMean += g;
      gnMean += g * n;
      if (dw) addAt(dw, j, dy[o + j]! * n);
      if (db) addAt(db, j, dy[o + j]!);
    }
    gMean /= c;
    gnMean /= c;
    if (dx) {
      for (let j = 0; j < c; j++) {
        const n = (xd[o + j]! - m) * rs;
        addAt(dx, o + j, rs * (dy[o + j]! * w[j]! - gMean - n * gnMean));
      }
    }
  }
}

export function rmsNormForwardJs(xd: Float32Array, w: Float32Array, out: Float32Array, rrms: Float32Array, rows: number, c: number, eps: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    let ss = 0;
    for (let j = 0; j < c; j++) ss += xd[o + j]! * xd[o + j]!;
    const rs = 1 / Math.sqrt(ss / c + eps);
    rrms[r] = rs;
    for (let j = 0; j < c; j++) out[o + j] = xd[o + j]! * rs * w[j]!;
  }
}

export function rmsNormBackwardJs(
  xd: Float32Array,
  w: Float32Array,
  rrms: Float32Array,
  dy: Float32Array,
  dx: Float32Array | null,
  dw: Float32Array | null,
  rows: number,
  c: number,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    const rs = rrms[r]!;
    // dx = rs·g − x·rs³·mean(g·x), with g = dy·w.
    let gx = 0;
    for (let j = 0; j < c; j++) {
      gx += dy[o + j]! * w[j]! * xd[o + j]!;
      if (dw) addAt(dw, j, dy[o + j]! * xd[o + j]! * rs);
    }
    gx /= c;
    if (dx) {
      const k = rs * rs * rs * gx;
      for (let j = 0; j < c; j++) addAt(dx, o + j, rs * dy[o + j]! * w[j]! - xd[o + j]! * k);
    }
  }
}

export function crossEntropyForwardJs(
  ld: Float32Array,
  targets: Int32Array,
  rows: number,
  v: number,
  probs: Float32Array,
  perToken: Float32Array,
): CrossEntropySums {
  let total = 0;
  let count = 0;
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * v;
    const t = targets[r]!;
    let max = -Infinity;
    let arg = 0;
    for (let j = 0; j < v; j++) {
      if (ld[o + j]! > max) {
        max = ld[o + j]!;
        arg = j;
      }
    }
    let sum = 0;
    for (let j = 0; j < v; j++) {
      const e = Math.exp(ld[o + j]! - max);
      probs[o + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < v; j++) mulAt(probs, o + j, inv);
    if (t === -1) {
      perToken[r] = NaN;
      continue;
    }
    if (t < 0 || t >= v) throw new RangeError(`crossEntropy: target ${t} at row ${r} is outside [0, ${v})`);
    const nll = Math.log(sum) + max - ld[o + t]!;
    perToken[r] = nll;
    total += nll;
    count++;
    if (arg === t) correct++;
  }
  return { total, count, correct };
}

export function crossEntropyBackwardJs(probs: Float32Array, targets: Int32Array, rows: number, v: number, g: number, dx: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t === -1) continue;
    const o = r * v;
    for (let j = 0; j < v; j++) addAt(dx, o + j, g * probs[o + j]!);
    addAt(dx, o + t, -g);
  }
}

export function adamwStepJs(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, n: number, hp: AdamWStepParams): void {
  const { lr, beta1, beta2, eps, weightDecay: wd, c1, c2 } = hp;
  for (let j = 0; j < n; j++) {
    const gj = g[j]!;
    const mj = (m[j] = beta1 * m[j]! + (1 - beta1) * gj);
    const vj = (v[j] = beta2 * v[j]! + (1 - beta2) * gj * gj);
    addAt(w, j, -(lr * (mj / c1 / (Math.sqrt(vj / c2) + eps) + wd * w[j]!)));
  }
}
