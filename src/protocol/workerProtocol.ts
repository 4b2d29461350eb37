/**
 * The host ⇄ worker channel. The worker owns the model and every number; the host sends
 * requests (each with an `id`) and receives replies carrying the same id. Typed arrays
 * are transferred, not copied. The first exchange is a handshake: the worker posts
 * `ready` with its protocol version and the host refuses to talk to a mismatched one.
 *
 * Documents are identified by `documentKey` (the URI string) and `version` (VS Code's
 * document version); every reply about a document carries both so the host can drop
 * results computed for an older version.
 *
 * Requests and replies are declared as pairs (WorkerCalls): the request's fields, its final
 * reply and any progress messages before it. The client derives the reply type from the
 * request, so asking for one thing and accepting another is a compile error.
 */

import type { ErrorCode, EvalPoint, ModelInfo, StepPoint, TokenSlice } from './common';
import type { EnginePayload, ViewName, ViewQuestion } from './dashboardViews';

/** 4: continueTraining; trainStarted says where a continued run resumed; ModelInfo.runSteps. 3: dashboard views travel as one `view` request/reply pair; token slices and windows are shared types; a loaded model brings its training history. */
export const WORKER_PROTOCOL_VERSION = 4;

export interface TrainRequestOptions {
  readonly preset: string;
  readonly steps: number;
  readonly batchSize: number | null; // null = the preset's default
  readonly learningRate: number | null; // null = the preset's default
  readonly seed: number;
  readonly evalInterval: number;
  /** Soft (softmax) or hard (one-hot argmax) attention. */
  readonly attention: 'soft' | 'hard';
  /** Head snapshots every this many steps (0: none; null: about 50 in the run). */
  readonly snapshotEvery: number | null;
}

/** A [start, end) range of UTF-16 offsets in a document. */
export interface CharRange {
  readonly start: number;
  readonly end: number;
}

// ---------------------------------------------------------------- the calls

/** The metrics a checkpoint recorded while it was trained, and the run's planned length. */
export interface TrainingHistory {
  readonly totalSteps: number;
  readonly steps: readonly StepPoint[];
  readonly evals: readonly EvalPoint[];
}

/** Messages that only exist as answers: named here so WorkerCalls can pair them. */
type Reply<T extends string, F = object> = { readonly type: T; readonly id: number } & F;

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
  /** [L, H, W]: weight from token windowStart + q to the query token (first of the range). */
  readonly columns: Float32Array;
  /** [L, H, W]: q·k/√d behind rows for the first query token (−Infinity where masked). */
  readonly scores: Float32Array;
}

/** The reply to a `view` request: view N's payload (dashboardViews.ts). */
export type ViewReply<N extends ViewName = ViewName> = N extends ViewName ? Reply<'view', { readonly view: N; readonly payload: EnginePayload<N> }> : never;

/** The end of a training run (fresh or continued); a cancelled run with steps done is saved resumable. */
export type TrainFinished = Reply<
  'trainFinished',
  {
    readonly reason: 'completed' | 'cancelled' | 'diverged';
    readonly step: number;
    readonly message: string | null;
    readonly checkpointPath: string | null;
    readonly info: ModelInfo;
  }
>;

/** What a training run reports before it ends; `resumed` is the history up to where a continued run starts (null for a fresh one). */
export type TrainProgress =
  | Reply<
      'trainStarted',
      {
        readonly info: ModelInfo;
        readonly totalSteps: number;
        readonly trainTokens: number;
        readonly validationTokens: number;
        readonly resumed: TrainingHistory | null;
      }
    >
  | Reply<'trainStep', StepPoint>
  | Reply<'trainEval', EvalPoint>;

/**
 * Every request the host can make: its fields (besides `type` and `id`), its final reply, and
 * the progress messages that may come before that reply (only training has any).
 */
export interface WorkerCalls {
  /** Trains a fresh model on `text`; progress trainStarted, trainStep*, trainEval*, then trainFinished. */
  readonly train: {
    readonly request: {
      readonly text: string;
      readonly options: TrainRequestOptions;
      readonly checkpointPath: string;
      readonly sourceName: string;
      /** The snapshots' probe window: a range of `text` (its first tokens, up to 64, are used); null: the text's start. */
      readonly probe: CharRange | null;
    };
    readonly reply: TrainFinished;
    readonly progress: TrainProgress;
  };
  /**
   * Continues the active model's run from its training state (optimizer, schedule, step, generator)
   * to the run's total, on `text`, which must be the text it was trained on; saved to
   * `checkpointPath`. Refused ('bad-input') for a model without training state, a complete run or
   * another text. The same progress and reply as train.
   */
  readonly continueTraining: {
    readonly request: { readonly text: string; readonly checkpointPath: string; readonly sourceName: string };
    readonly reply: TrainFinished;
    readonly progress: TrainProgress;
  };
  /** Loads a checkpoint (native .safetensors, llama2.c .bin + tokenizer, or a Hugging Face folder) as the active model, with the training history it carries. */
  readonly load: {
    readonly request: { readonly path: string; readonly tokenizerPath: string | null };
    readonly reply: Reply<'modelLoaded', { readonly info: ModelInfo; readonly history: TrainingHistory | null }>;
    readonly progress: never;
  };
  /** Writes the active model (with its training state) atomically to `path`. */
  readonly save: { readonly request: { readonly path: string }; readonly reply: Reply<'saved', { readonly path: string }>; readonly progress: never };
  /** Sets a document's text for `version` (null: the held text) and asks for its tokens overlapping `ranges`, a slice per range. */
  readonly tokens: {
    readonly request: { readonly documentKey: string; readonly version: number; readonly text: string | null; readonly ranges: readonly CharRange[] };
    readonly reply: Reply<
      'tokens',
      {
        readonly documentKey: string;
        readonly version: number;
        readonly tokenCount: number;
        readonly windowSize: number;
        readonly slices: readonly TokenSlice[];
      }
    >;
    readonly progress: never;
  };
  /** Attention of the query tokens [from, to) (mean over them) in a document version, within the first one's window. */
  readonly attention: {
    readonly request: { readonly documentKey: string; readonly version: number; readonly from: number; readonly to: number };
    readonly reply: Reply<'attentionRows', AttentionRows>;
    readonly progress: never;
  };
  /** Forgets a closed document. */
  readonly closeDocument: { readonly request: { readonly documentKey: string }; readonly reply: Reply<'closed'>; readonly progress: never };
  /** One dashboard view of the window holding `token` (dashboardViews.ts). */
  readonly view: { readonly request: ViewQuestion & { readonly view: ViewName }; readonly reply: ViewReply; readonly progress: never };
  /**
   * The worker thread's share of the process's memory, in bytes (its JS heap, the typed arrays
   * it holds, the kernels' WebAssembly memory and the attention cache's part of it), answered on
   * arrival, after a full collection of its heap if asked.
   */
  readonly memory: {
    readonly request: { readonly collectGarbage: boolean };
    readonly reply: Reply<
      'memory',
      {
        readonly heapUsed: number;
        readonly arrayBuffers: number;
        readonly kernelBytes: number;
        readonly attentionCacheBytes: number;
        readonly attentionWindows: number;
        readonly documents: number;
      }
    >;
    readonly progress: never;
  };
}

export type CallType = keyof WorkerCalls;

/** The request message of call K, as the host writes it (the client adds the id). */
export type CallRequest<K extends CallType = CallType> = K extends CallType ? { readonly type: K } & WorkerCalls[K]['request'] : never;
/** The final reply of call K. */
export type CallReply<K extends CallType> = WorkerCalls[K]['reply'];
export type CallProgress<K extends CallType> = WorkerCalls[K]['progress'];

/** The reply type of each call, for the client's run-time check (the compiler checks each entry). */
export const REPLY_TYPES: { readonly [K in CallType]: CallReply<K>['type'] } = {
  train: 'trainFinished',
  continueTraining: 'trainFinished',
  load: 'modelLoaded',
  save: 'saved',
  tokens: 'tokens',
  attention: 'attentionRows',
  closeDocument: 'closed',
  view: 'view',
  memory: 'memory',
};

/** The progress messages each call may send before its reply (the compiler checks each name). */
export const PROGRESS_TYPES: { readonly [K in CallType]: readonly CallProgress<K>['type'][] } = {
  train: ['trainStarted', 'trainStep', 'trainEval'],
  continueTraining: ['trainStarted', 'trainStep', 'trainEval'],
  load: [],
  save: [],
  tokens: [],
  attention: [],
  closeDocument: [],
  view: [],
  memory: [],
};

// ---------------------------------------------------------------- host → worker

export type HostToWorker =
  | (CallRequest & { readonly id: number })
  /** Cancels request `target` (training stops within one step; other requests reply 'cancelled'). */
  | { readonly type: 'cancel'; readonly id: number; readonly target: number };

// ---------------------------------------------------------------- worker → host

export type WorkerReply = { [K in CallType]: CallReply<K> | CallProgress<K> }[CallType];

export type WorkerToHost =
  /** Handshake: the first message the worker posts. */
  | { readonly type: 'ready'; readonly protocolVersion: number; readonly backend: string; readonly backendFallbackReason: string | null }
  | WorkerReply
  /** Any request that failed; `id` null for failures outside a request. */
  | { readonly type: 'failed'; readonly id: number | null; readonly code: ErrorCode; readonly message: string; readonly detail: string | null };
