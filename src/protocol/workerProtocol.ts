/**
 * The host ⇄ worker channel. The worker owns the model and every number; the host sends
 * requests (each with an `id`) and receives replies carrying the same id. Typed arrays
 * are transferred, not copied. The first exchange is a handshake: the worker posts
 * `ready` with its protocol version and the host refuses to talk to a mismatched one.
 *
 * Documents are identified by `documentKey` (the URI string) and `version` (VS Code's
 * document version); every reply about a document carries both so the host can drop
 * results computed for an older version.
 */

import type { ErrorCode, EvalPoint, ModelInfo, StepPoint } from './common';

export const WORKER_PROTOCOL_VERSION = 2;

export interface TrainRequestOptions {
  readonly preset: string;
  readonly steps: number;
  readonly batchSize: number | null; // null = the preset's default
  readonly learningRate: number | null; // null = the preset's default
  readonly seed: number;
  readonly evalInterval: number;
}

/** A [start, end) range of UTF-16 offsets in a document. */
export interface CharRange {
  readonly start: number;
  readonly end: number;
}

// ---------------------------------------------------------------- host → worker

export type HostToWorker =
  /** Starts training a fresh model on `text`; replies trainStarted, trainStep*, trainEval*, trainFinished. */
  | { readonly type: 'train'; readonly id: number; readonly text: string; readonly options: TrainRequestOptions; readonly checkpointPath: string; readonly sourceName: string }
  /** Cancels request `target` (training stops within one step; other requests reply 'cancelled'). */
  | { readonly type: 'cancel'; readonly id: number; readonly target: number }
  /** Loads a checkpoint (native .safetensors, or llama2.c .bin + tokenizer) as the active model; replies modelLoaded. */
  | { readonly type: 'load'; readonly id: number; readonly path: string; readonly tokenizerPath: string | null }
  /** Writes the active model (with its training state) atomically to `path`; replies saved. */
  | { readonly type: 'save'; readonly id: number; readonly path: string }
  /** Sets a document's text for `version` and asks for its tokens overlapping `ranges`; replies tokens. */
  | { readonly type: 'tokens'; readonly id: number; readonly documentKey: string; readonly version: number; readonly text: string | null; readonly ranges: readonly CharRange[] }
  /** Attention of the query tokens [from, to) (mean over them) in a document version; replies attentionRows. */
  | { readonly type: 'attention'; readonly id: number; readonly documentKey: string; readonly version: number; readonly from: number; readonly to: number }
  /** Forgets a closed document. */
  | { readonly type: 'closeDocument'; readonly id: number; readonly documentKey: string }
  /** Every attention weight of the window containing document token `token`; replies attentionMatrix. */
  | { readonly type: 'attentionMatrix'; readonly id: number; readonly documentKey: string; readonly version: number; readonly token: number }
  /** Head-type scores, entropy and concentration of every head on that window; replies headStats. */
  | { readonly type: 'headStats'; readonly id: number; readonly documentKey: string; readonly version: number; readonly token: number }
  /** Attention rollout for query `token`, layer by layer; replies rollout. */
  | { readonly type: 'rollout'; readonly id: number; readonly documentKey: string; readonly version: number; readonly token: number }
  /** One head's q, k, v and output for query `token` (the "why" view); replies headVectors. */
  | { readonly type: 'headVectors'; readonly id: number; readonly documentKey: string; readonly version: number; readonly token: number; readonly layer: number; readonly head: number }
  /** The worker's memory, answered on arrival (after a full collection of its heap if asked); replies memory. */
  | { readonly type: 'memory'; readonly id: number; readonly collectGarbage: boolean };

/** The five head detectors of ANALYSIS.md (TransformerLens "mul" score, default options), [L, H] each. */
export interface HeadTypeScores {
  readonly previous_token: Float32Array;
  readonly duplicate_token: Float32Array;
  readonly induction: Float32Array;
  readonly first_token: Float32Array;
  readonly current_token: Float32Array;
}

/** Where a window-level reply sits in its document: window tokens [windowStart, windowStart + windowLength). */
interface WindowPlace {
  readonly id: number;
  readonly documentKey: string;
  readonly version: number;
  readonly windowStart: number;
  readonly windowLength: number;
}

// ---------------------------------------------------------------- worker → host

/** Tokens of a document, a contiguous slice per requested range: token i of a slice is document token `first + i`. */
export interface TokenSlice {
  readonly first: number;
  readonly ids: Int32Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly labels: readonly string[];
}

export type WorkerToHost =
  /** Handshake: the first message the worker posts. */
  | { readonly type: 'ready'; readonly protocolVersion: number; readonly backend: string; readonly backendFallbackReason: string | null }
  | { readonly type: 'trainStarted'; readonly id: number; readonly info: ModelInfo; readonly totalSteps: number; readonly trainTokens: number; readonly validationTokens: number }
  | ({ readonly type: 'trainStep'; readonly id: number } & StepPoint)
  | ({ readonly type: 'trainEval'; readonly id: number } & EvalPoint)
  /** Training ended; the model is active and (unless it never took a step) saved to `checkpointPath`. */
  | { readonly type: 'trainFinished'; readonly id: number; readonly reason: 'completed' | 'cancelled' | 'diverged'; readonly step: number; readonly message: string | null; readonly checkpointPath: string | null; readonly info: ModelInfo }
  | { readonly type: 'modelLoaded'; readonly id: number; readonly info: ModelInfo }
  | { readonly type: 'saved'; readonly id: number; readonly path: string }
  | { readonly type: 'tokens'; readonly id: number; readonly documentKey: string; readonly version: number; readonly tokenCount: number; readonly windowSize: number; readonly slices: readonly TokenSlice[] }
  /**
   * Attention for a query in its context window [windowStart, windowStart + windowLength):
   * rows[l][h][k] = weight from the query to key windowStart + k (mean over the query range);
   * columns[l][h][q] = weight from token windowStart + q to the query token (first of the range);
   * scores[l][h][k] = q·k/√d behind rows for the first query token (−Infinity where masked).
   * All three are [L, H, windowLength], flattened. `window` holds the window's tokens
   * (window.first = windowStart) so views can label and place every key.
   */
  | {
      readonly type: 'attentionRows';
      readonly id: number;
      readonly documentKey: string;
      readonly version: number;
      readonly from: number;
      readonly to: number;
      readonly windowStart: number;
      readonly windowLength: number;
      readonly window: TokenSlice;
      readonly layers: number;
      readonly heads: number;
      readonly rows: Float32Array;
      readonly columns: Float32Array;
      readonly scores: Float32Array;
    }
  | { readonly type: 'closed'; readonly id: number }
  /** weights [L, H, W, W] of the window (row = query, column = key). */
  | (WindowPlace & { readonly type: 'attentionMatrix'; readonly window: TokenSlice; readonly layers: number; readonly heads: number; readonly weights: Float32Array })
  /** [L, H] per statistic; entropy is the mean row entropy normalised by ln(i+1); keys50/90 the mean keys holding 50 %/90 % of a row. */
  | (WindowPlace & { readonly type: 'headStats'; readonly layers: number; readonly heads: number; readonly scores: HeadTypeScores; readonly entropy: Float32Array; readonly keys50: Float32Array; readonly keys90: Float32Array })
  /** relevance [L, W]: row `query` (window index) of the rollout through layers 1..l, for each l. */
  | (WindowPlace & { readonly type: 'rollout'; readonly query: number; readonly layers: number; readonly relevance: Float32Array })
  /** q [hs] of the query, k and v [W, hs] of every key, and output [hs] = Σ weights·v, for one head. */
  | (WindowPlace & { readonly type: 'headVectors'; readonly query: number; readonly layer: number; readonly head: number; readonly headSize: number; readonly q: Float32Array; readonly k: Float32Array; readonly v: Float32Array; readonly output: Float32Array })
  /**
   * The worker thread's share of the process's memory, in bytes: its JS heap, the typed arrays
   * it holds, the kernels' WebAssembly memory, and what the attention cache keeps of it.
   */
  | {
      readonly type: 'memory';
      readonly id: number;
      readonly heapUsed: number;
      readonly arrayBuffers: number;
      readonly kernelBytes: number;
      readonly attentionCacheBytes: number;
      readonly attentionWindows: number;
      readonly documents: number;
    }
  /** Any request that failed; `id` null for failures outside a request. */
  | { readonly type: 'failed'; readonly id: number | null; readonly code: ErrorCode; readonly message: string; readonly detail: string | null };

export type WorkerReply = Extract<WorkerToHost, { id: number }>;
