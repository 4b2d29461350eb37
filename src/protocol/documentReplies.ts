/**
 * What the worker answers about a document's context window (workerProtocol.ts pairs them with
 * their calls): the attention rows of a query for the editor's highlights and hovers (`attention`),
 * and a window's surprisal with heads switched off for the ablation overlay (`ablate`).
 */

import type { TokenSlice } from './common';
import type { Weighting } from './settings';

/** Attention for a query in its context window: see the `attention` call. */
export interface AttentionRows {
  readonly documentKey: string;
  readonly version: number;
  readonly from: number;
  readonly to: number;
  readonly windowStart: number;
  readonly windowLength: number;
  /** The window's tokens (window.first = windowStart), so views can label and place every key. */
  readonly window: TokenSlice;
  readonly layers: number;
  readonly heads: number;
  /** [L, H, W]: weight from the query to key windowStart + k (mean over the query range). */
  readonly rows: Float32Array;
  /** [L, H, W]: weight from token windowStart + q to the query tokens (mean over the query range). */
  readonly columns: Float32Array;
  /** [L, H, W]: q·k/√d behind rows, mean over the query tokens that see each key (−Infinity where none does). */
  readonly scores: Float32Array;
  /** What rows and columns weigh: post-softmax weights α, or ‖α·v‖ (engine/analysis/valueWeighted.ts). */
  readonly weighting: Weighting;
}

/** A head switched off, by layer and head index. */
export interface HeadAddress {
  readonly layer: number;
  readonly head: number;
}

/** One context window's surprisal with heads switched off, beside the unablated one: the editor's ablation overlay. */
export interface AblatedWindow {
  readonly documentKey: string;
  readonly version: number;
  readonly windowStart: number;
  readonly windowLength: number;
  readonly heads: readonly HeadAddress[];
  readonly mode: 'zero' | 'mean';
  /** [W] nats, NaN for the window's first token (nothing predicts it). */
  readonly surprisalBefore: Float32Array;
  readonly surprisalAfter: Float32Array;
  /** Mean surprisal over the window's predicted tokens. */
  readonly lossBefore: number;
  readonly lossAfter: number;
}
