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
import type { AblatedWindow, AttentionRows, HeadAddress } from './documentReplies';
import type { AttributionView, EnginePayload, ViewName, ViewQuestion } from './dashboardViews';
import type { HubDownloadProgress, HubDownloadRequest, HubDownloadResult } from './hubModels';
import type { LoadProgress } from './loadProgress';
import type { Weighting } from './settings';
import type { RunSnapshot, RunSnapshots } from './snapshots';

export type { Weighting } from './settings';
export type { AblatedWindow, AttentionRows, HeadAddress } from './documentReplies';

/** 11: ModelInfo.readsText (false: a model without a tokenizer). 10: a `compare` with a checkpoint reports `loadProgress` and a cancel stops its read, as `load`. 9: ModelInfo's `weightsDtype` and `weightsBytes` (F16/BF16 weights stay 16-bit in memory). 8: a `load` reports `loadProgress` (phase, done, total; at most about one per 100 ms and 1 % of a phase) and a cancel stops it mid-read. 7: training snapshots reach the host: trainStarted and modelLoaded carry a run's `snapshots`, a `trainSnapshot` progress message per snapshot taken. 6: `ready` reports the compute threads in use (and why fewer than asked). 5: a `view` request for the customHeads view carries the page's head detector. 4: sliding context windows (a document's stride in `tokens`); hubDownload; continueTraining, trainStarted says where a continued run resumed, ModelInfo.runSteps. 3: dashboard views travel as one `view` request/reply pair; token slices and windows are shared types; a loaded model brings its training history. */
export const WORKER_PROTOCOL_VERSION = 11;

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

/** How far a long computation is: `done` of `total` passes. */
export interface PassProgress {
  readonly done: number;
  readonly total: number;
}

/** The reply to a `view` request: view N's payload (dashboardViews.ts). */
export type ViewReply<N extends ViewName = ViewName> = N extends ViewName ? Reply<'view', { readonly view: N; readonly payload: EnginePayload<N> }> : never;

/** One alternative the model considered at a generation step. */
export interface GeneratedAlternative {
  readonly id: number;
  readonly label: string;
  readonly prob: number;
}

/** Why a generation ended: maxTokens reached, a stop token, the context full, or the host cancelled it. */
export type GenerationEndReason = 'length' | 'stop-token' | 'context' | 'cancelled';

/** What a document is compared with (the `compare` call; the dashboard's `compare` view shows it). */
export type CompareWith =
  /** Another document read by the active model, from the window holding its token `token` (Compare with Edit). */
  | { readonly kind: 'edit'; readonly documentKey: string; readonly token: number; readonly label: string }
  /** The same document read by a second model (Compare with Checkpoint…). */
  | { readonly kind: 'checkpoint'; readonly path: string; readonly tokenizerPath: string | null; readonly label: string };

/** The end of a training run (fresh or continued); a cancelled run with steps done is saved resumable. */
export type TrainFinished = Reply<
  'trainFinished',
  {
    readonly reason: 'completed' | 'cancelled' | 'diverged';
    readonly step: number;
    readonly message: string | null;
    readonly checkpointPath: string | null;
    readonly info: ModelInfo;
    /** The validation-best weights, saved beside the checkpoint when they differ from the last ones. */
    readonly best?: { readonly path: string; readonly step: number; readonly valLoss: number } | null;
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
        /** The run's head snapshots: its probe and those kept so far (a continued run's); null when it takes none. */
        readonly snapshots: RunSnapshots | null;
      }
    >
  | Reply<'trainStep', StepPoint>
  /** A head snapshot just taken; `every` is the interval now (a thinning doubles it: drop the kept steps that are not multiples). */
  | Reply<'trainSnapshot', { readonly every: number; readonly snapshot: RunSnapshot }>
  | Reply<'trainEval', EvalPoint & { readonly sample?: { readonly prompt: string; readonly text: string } }>;

/**
 * Every request the host can make: its fields (besides `type` and `id`), its final reply, and
 * the progress messages that may come before that reply (training; the long analyses: `progress`).
 */
export interface WorkerCalls {
  /** Trains a fresh model on `text`; progress trainStarted, trainStep*, trainEval*, trainSnapshot*, then trainFinished. */
  readonly train: {
    readonly request: {
      readonly text: string;
      readonly options: TrainRequestOptions;
      readonly checkpointPath: string;
      readonly sourceName: string;
      /** The probe text the model continues at every evaluation (its eval samples); absent: the start of the validation text. */
      readonly samplePrompt?: string;
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
    readonly request: { readonly text: string; readonly checkpointPath: string; readonly sourceName: string; readonly samplePrompt?: string };
    readonly reply: TrainFinished;
    readonly progress: TrainProgress;
  };
  /**
   * Loads a checkpoint (native .safetensors, llama2.c .bin + tokenizer, or a Hugging Face folder) as the active model, with the
   * training history it carries; progress loadProgress* (reading, checking, building; rate-limited). Cancelling stops it at its
   * next piece of the file or tensor checked (a Hugging Face conversion under way finishes first, then is dropped): the active
   * model stays, the reply is 'cancelled'.
   */
  readonly load: {
    readonly request: { readonly path: string; readonly tokenizerPath: string | null };
    readonly reply: Reply<'modelLoaded', { readonly info: ModelInfo; readonly history: TrainingHistory | null; readonly snapshots: RunSnapshots | null }>;
    readonly progress: Reply<'loadProgress', LoadProgress>;
  };
  /** Writes the active model (with its training state) atomically to `path`. */
  readonly save: { readonly request: { readonly path: string }; readonly reply: Reply<'saved', { readonly path: string }>; readonly progress: never };
  /**
   * Sets a document's text for `version` (null: the held text) and asks for its tokens overlapping `ranges`, a slice per range;
   * `windowStride` is the stride of its sliding context windows (contextWindows.ts; 0: half the context) from now on.
   */
  readonly tokens: {
    readonly request: {
      readonly documentKey: string;
      readonly version: number;
      readonly text: string | null;
      readonly ranges: readonly CharRange[];
      readonly windowStride: number;
    };
    readonly reply: Reply<
      'tokens',
      {
        readonly documentKey: string;
        readonly version: number;
        readonly tokenCount: number;
        readonly windowSize: number;
        /** The stride in use (the request's, or half the context for 0, at most the context). */
        readonly windowStride: number;
        /** Whether the model is causal (a query is then read in the window with the most tokens before it). */
        readonly causal: boolean;
        readonly slices: readonly TokenSlice[];
      }
    >;
    readonly progress: never;
  };
  /** Attention of the query tokens [from, to) (mean over them) in a document version, within the first one's window; α unless `weighting` says otherwise. */
  readonly attention: {
    readonly request: { readonly documentKey: string; readonly version: number; readonly from: number; readonly to: number; readonly weighting?: Weighting };
    readonly reply: Reply<'attentionRows', AttentionRows>;
    readonly progress: never;
  };
  /** Forgets a closed document. */
  readonly closeDocument: { readonly request: { readonly documentKey: string }; readonly reply: Reply<'closed'>; readonly progress: never };
  /** One dashboard view of the window holding `token` (dashboardViews.ts). */
  readonly view: {
    readonly request: ViewQuestion & { readonly view: ViewName };
    readonly reply: ViewReply;
    readonly progress: Reply<'progress', PassProgress>;
  };
  /** The window holding `token` with `heads` switched off together (zeroed, or replaced by their mean output): surprisal before and after. */
  readonly ablate: {
    readonly request: {
      readonly documentKey: string;
      readonly version: number;
      readonly token: number;
      readonly heads: readonly HeadAddress[];
      readonly mode: 'zero' | 'mean';
    };
    readonly reply: Reply<'ablated', AblatedWindow>;
    readonly progress: never;
  };
  /**
   * Attribution of the prediction at `token` (of the token after it in its window) to the window's
   * tokens: integrated gradients or gradient × input; progress after each batch of passes,
   * cancellable between them.
   */
  readonly attribute: {
    readonly request: { readonly documentKey: string; readonly version: number; readonly token: number; readonly method: 'ig' | 'grad' };
    readonly reply: Reply<'attributed', { readonly payload: AttributionView }>;
    readonly progress: Reply<'progress', PassProgress>;
  };
  /**
   * Continues `prompt` (the text before the cursor; its last tokens that leave room for
   * maxTokens, at least half the context, are the context) with the active model; progress `generatedToken` per token,
   * each with the text it adds, its probability and the model's top alternatives. A generation
   * that ends inside a character sends its last token once more, with the held text as U+FFFD.
   * Cancelling ends it with reason 'cancelled' (what was generated stays generated).
   */
  readonly generate: {
    readonly request: {
      readonly prompt: string;
      readonly maxTokens: number;
      readonly temperature: number;
      readonly topP: number;
      readonly seed: number;
      readonly topK: number;
    };
    readonly reply: Reply<'generationFinished', { readonly reason: GenerationEndReason; readonly tokens: number; readonly promptTokens: number }>;
    readonly progress: Reply<
      'generatedToken',
      { readonly step: number; readonly tokenId: number; readonly text: string; readonly prob: number; readonly alternatives: readonly GeneratedAlternative[] }
    >;
  };
  /**
   * Compares a document with another one or with a second model (null: with nothing). A checkpoint is loaded here, with the
   * progress and cancel of `load` (loadProgress*; cancelled: nothing is compared, the reply is 'cancelled').
   */
  readonly compare: {
    readonly request: { readonly documentKey: string; readonly with: CompareWith | null };
    readonly reply: Reply<'compareSet', { readonly documentKey: string; readonly label: string | null }>;
    readonly progress: Reply<'loadProgress', LoadProgress>;
  };
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
  /**
   * Brings a model from the Hugging Face Hub into the cache (src/node/hub), answered beside the
   * queue so the editor's requests go on meanwhile; progress hubProgress*; cancel keeps the
   * partial file for a later resume. The reply says what to `load`.
   */
  readonly hubDownload: {
    readonly request: HubDownloadRequest;
    readonly reply: Reply<'hubDownloaded', HubDownloadResult>;
    readonly progress: Reply<'hubProgress', HubDownloadProgress>;
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
  generate: 'generationFinished',
  compare: 'compareSet',
  hubDownload: 'hubDownloaded',
  ablate: 'ablated',
  attribute: 'attributed',
};

/** The progress messages each call may send before its reply (the compiler checks each name). */
export const PROGRESS_TYPES: { readonly [K in CallType]: readonly CallProgress<K>['type'][] } = {
  train: ['trainStarted', 'trainStep', 'trainEval', 'trainSnapshot'],
  continueTraining: ['trainStarted', 'trainStep', 'trainEval', 'trainSnapshot'],
  load: ['loadProgress'],
  save: [],
  tokens: [],
  attention: [],
  closeDocument: [],
  view: ['progress'],
  memory: [],
  generate: ['generatedToken'],
  compare: ['loadProgress'],
  hubDownload: ['hubProgress'],
  ablate: [],
  attribute: ['progress'],
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
  | {
      readonly type: 'ready';
      readonly protocolVersion: number;
      readonly backend: string;
      readonly backendFallbackReason: string | null;
      /** Compute threads the kernels use (1: the calling thread alone). */
      readonly threads: number;
      /** Why fewer threads than the setting asked for are in use (null when all are). */
      readonly threadsFallbackReason: string | null;
    }
  | WorkerReply
  /** Any request that failed; `id` null for failures outside a request. */
  | { readonly type: 'failed'; readonly id: number | null; readonly code: ErrorCode; readonly message: string; readonly detail: string | null };
