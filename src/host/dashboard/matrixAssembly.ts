/**
 * Holds the full attention pattern of a window, [L, H, W, W] — the worker's whole
 * `matrix` view block — and cuts out what the dashboard draws: one head's matrix with the extremes over
 * every head, and every head shrunk to a thumbnail for the layers × heads grid. Plain data in
 * and out: no VS Code, no DOM.
 */

import type { WindowRef } from '../../protocol/common';
import { windowOf, type AttentionMatrix, type HeadGrid } from '../../protocol/dashboardViews';

/** 64 MB of Float32: the largest full pattern the host keeps (stories260K's 5×8×512² is 42 MB). */
export const MAX_ASSEMBLY_VALUES = 16 * 1024 * 1024;

/** Thumbnail side in the layers × heads grid. */
const GRID_SIZE = 48;

export class MatrixTooLargeError extends RangeError {
  constructor(layers: number, heads: number, width: number) {
    super(
      `the attention pattern of ${layers}×${heads} heads over ${width} tokens (${((layers * heads * width * width * 4) / 2 ** 20).toFixed(0)} MB) is too large to show`,
    );
    this.name = 'MatrixTooLargeError';
  }
}

/** Throws MatrixTooLargeError when a window's full pattern would exceed MAX_ASSEMBLY_VALUES (check before asking for it). */
export function checkMatrixSize(layers: number, heads: number, width: number): void {
  if (layers * heads * width * width > MAX_ASSEMBLY_VALUES) throw new MatrixTooLargeError(layers, heads, width);
}

export class MatrixAssembly {
  /** [L, H, W, W]: weights[((l·H + h)·W + q)·W + k]. */
  readonly weights: Float32Array;
  /** Extremes over every head, computed once (a selection change must not rescan 40 MB). */
  private extremes: { min: number; max: number } | null = null;
  /** The grid, computed once: it is re-sent with every head change. */
  private thumbnails: HeadGrid | null = null;

  /** `weights` is the [L, H, W, W] block, taken over (not copied) and not changed afterwards. */
  readonly window: WindowRef;

  constructor(
    window: WindowRef,
    readonly layers: number,
    readonly heads: number,
    weights: Float32Array,
  ) {
    const W = window.windowLength;
    checkMatrixSize(layers, heads, W);
    const n = layers * heads * W * W;
    if (weights.length !== n) throw new RangeError(`an attention block has ${weights.length} values; ${layers}×${heads} heads over ${W} tokens need ${n}`);
    this.weights = weights;
    this.window = windowOf(window);
  }

  /** One head's W×W matrix (a copy, safe to post), with the extremes over all heads. */
  headMatrix(layer: number, head: number): AttentionMatrix {
    const W = this.window.windowLength;
    const l = Math.min(Math.max(0, layer), this.layers - 1);
    const h = Math.min(Math.max(0, head), this.heads - 1);
    const o = (l * this.heads + h) * W * W;
    const { min, max } = this.globalExtremes();
    return { ...this.window, layer: l, head: h, weights: this.weights.slice(o, o + W * W), globalMin: min, globalMax: max };
  }

  /** Every head max-pooled to size×size (size = min(W, maxSize)): thin stripes stay visible. */
  grid(maxSize = GRID_SIZE): HeadGrid {
    if (maxSize !== GRID_SIZE) return this.pooled(maxSize);
    this.thumbnails ??= this.pooled(GRID_SIZE);
    return this.thumbnails;
  }

  private pooled(maxSize: number): HeadGrid {
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
    return { ...this.window, layers: this.layers, heads: this.heads, size, thumbnails };
  }

  private globalExtremes(): { min: number; max: number } {
    if (!this.extremes) {
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < this.weights.length; i++) {
        const v = this.weights[i]!;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      this.extremes = { min, max };
    }
    return this.extremes;
  }
}
