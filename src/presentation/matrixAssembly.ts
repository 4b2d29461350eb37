/**
 * Builds the full attention pattern of a window, [L, H, W, W], out of per-query rows — what the
 * host can get today from the worker's `attention` request (one query → that query's row for
 * every head). It also cuts out one head's matrix and shrinks every head to a thumbnail for the
 * layers × heads grid. Plain data in and out: no VS Code, no DOM.
 */

import type { AttentionMatrix, HeadGrid, WindowRef } from '../protocol/webviewProtocol';

/** 64 MB of Float32: the largest full pattern the host keeps (stories260K's 5×8×512² is 42 MB). */
export const MAX_ASSEMBLY_VALUES = 16 * 1024 * 1024;

export class MatrixTooLargeError extends RangeError {
  constructor(layers: number, heads: number, width: number) {
    super(`the attention pattern of ${layers}×${heads} heads over ${width} tokens (${((layers * heads * width * width * 4) / 2 ** 20).toFixed(0)} MB) is too large to show`);
    this.name = 'MatrixTooLargeError';
  }
}

export class MatrixAssembly {
  /** [L, H, W, W]: weights[((l·H + h)·W + q)·W + k]. */
  readonly weights: Float32Array;
  private readonly filled: Uint8Array;
  private count = 0;

  constructor(readonly window: WindowRef, readonly layers: number, readonly heads: number) {
    const W = window.windowLength;
    if (layers * heads * W * W > MAX_ASSEMBLY_VALUES) throw new MatrixTooLargeError(layers, heads, W);
    this.weights = new Float32Array(layers * heads * W * W);
    this.filled = new Uint8Array(W);
  }

  get done(): number {
    return this.count;
  }

  get complete(): boolean {
    return this.count === this.window.windowLength;
  }

  /** The row block [L, H, W] of window query q (an attentionRows reply for that one token). */
  setRow(q: number, rows: ArrayLike<number>): void {
    const W = this.window.windowLength;
    const LH = this.layers * this.heads;
    if (!(Number.isInteger(q) && q >= 0 && q < W)) throw new RangeError(`query ${q} is outside the window of ${W}`);
    if (rows.length !== LH * W) throw new RangeError(`a row block has ${rows.length} values; ${LH} heads × ${W} keys need ${LH * W}`);
    for (let lh = 0; lh < LH; lh++) {
      const dst = (lh * W + q) * W;
      for (let k = 0; k < W; k++) this.weights[dst + k] = rows[lh * W + k]!;
    }
    if (!this.filled[q]) {
      this.filled[q] = 1;
      this.count++;
    }
  }

  /** Whether query q still needs its row. */
  needs(q: number): boolean {
    return !this.filled[q];
  }

  /** One head's W×W matrix (a copy, safe to post), with the extremes over all heads. */
  headMatrix(layer: number, head: number): AttentionMatrix {
    const W = this.window.windowLength;
    const l = Math.min(Math.max(0, layer), this.layers - 1);
    const h = Math.min(Math.max(0, head), this.heads - 1);
    const o = (l * this.heads + h) * W * W;
    let globalMin = Infinity;
    let globalMax = -Infinity;
    for (let i = 0; i < this.weights.length; i++) {
      const v = this.weights[i]!;
      if (v < globalMin) globalMin = v;
      if (v > globalMax) globalMax = v;
    }
    return { ...ref(this.window), layer: l, head: h, weights: this.weights.slice(o, o + W * W), globalMin, globalMax };
  }

  /** Every head max-pooled to size×size (size = min(W, maxSize)): thin stripes stay visible. */
  grid(maxSize = 48): HeadGrid {
    const W = this.window.windowLength;
    const size = Math.max(1, Math.min(W, maxSize));
    const LH = this.layers * this.heads;
    const thumbnails = new Float32Array(LH * size * size);
    for (let lh = 0; lh < LH; lh++) {
      const src = lh * W * W;
      const dst = lh * size * size;
      for (let q = 0; q < W; q++) {
        const r = Math.floor((q * size) / W);
        for (let k = 0; k < W; k++) {
          const c = Math.floor((k * size) / W);
          const v = this.weights[src + q * W + k]!;
          if (v > thumbnails[dst + r * size + c]!) thumbnails[dst + r * size + c] = v;
        }
      }
    }
    return { ...ref(this.window), layers: this.layers, heads: this.heads, size, thumbnails };
  }
}

function ref(w: WindowRef): WindowRef {
  return { documentKey: w.documentKey, version: w.version, windowStart: w.windowStart, windowLength: w.windowLength };
}
