/**
 * Plain-data types shared by every channel (host ⇄ worker, host ⇄ webview). Nothing here
 * imports anything: these are the typed boundaries of ARCHITECTURE.md.
 */

/** Errors cross boundaries as data, never as Error objects. */
export type ErrorCode =
  | 'bad-request' // the message itself was malformed
  | 'no-model' // nothing is loaded yet
  | 'bad-input' // the text or a setting cannot be used (empty, too short, binary…)
  | 'checkpoint' // a checkpoint could not be read or written
  | 'busy' // e.g. training while training
  | 'cancelled'
  | 'diverged' // training hit a non-finite loss
  | 'stale' // the document version moved on
  | 'protocol' // handshake mismatch
  | 'offline' // the Hugging Face Hub cannot be reached
  | 'download' // a hub download failed: not found, gated, unsupported, a wrong hash, a broken transfer
  | 'internal';

export interface ModelInfo {
  readonly architecture: string;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly dModel: number;
  readonly context: number;
  readonly vocabSize: number;
  readonly parameters: number;
  /** What the weights are held as in memory, largest share first: "f32", or "bf16+f32" for a BF16 checkpoint (its norms float32). */
  readonly weightsDtype: string;
  /** Bytes the weights take in memory (16-bit values 2 each, float32 4). */
  readonly weightsBytes: number;
  /** e.g. "char (97 tokens)". */
  readonly tokenizer: string;
  /** False for a model without a tokenizer (it takes token ids only): the editor cannot read text with it. */
  readonly readsText: boolean;
  /** Where the model came from: a file path, or a description for a model trained just now. */
  readonly source: string;
  /** 'soft' or 'hard'. */
  readonly attentionMode: string;
  /** False for an encoder (BERT): every token attends to the tokens after it too. */
  readonly causal: boolean;
  /** Training steps this model has had, when known. */
  readonly trainedSteps: number | null;
  /** The total steps of the run it comes from, when it carries that run's state: below it, Continue Training can resume it. */
  readonly runSteps: number | null;
}

export interface StepPoint {
  readonly step: number;
  readonly loss: number;
  readonly lr: number;
  readonly gradNorm: number;
  readonly tokensPerSecond: number;
  readonly elapsedMs: number;
}

export interface EvalPoint {
  readonly step: number;
  readonly valLoss: number;
  readonly valAccuracy: number;
  readonly valPerplexity: number;
}

/**
 * Engine failure codes that mean "the question went away" (the document changed, the request
 * was withdrawn, the model was replaced), not "something is wrong": callers drop them quietly.
 */
export const QUIET_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['stale', 'cancelled', 'no-model']);

/** Whether a rejection (an EngineError, a `failed` reply, anything with a `code`) is quiet. */
export function isQuietFailure(e: unknown): boolean {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' && QUIET_ERROR_CODES.has(code as ErrorCode);
}

/** Identifies a context window of a document version: tokens [windowStart, windowStart + windowLength). */
export interface WindowRef {
  readonly documentKey: string;
  readonly version: number;
  readonly windowStart: number;
  readonly windowLength: number;
}

/** Tokens of a document, contiguous: token i of the slice is document token `first + i`. */
export interface TokenSlice {
  readonly first: number;
  readonly ids: Int32Array;
  /** [start, end) UTF-16 offsets into the document. */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly labels: readonly string[];
}

/** Head detectors, as named in the CLI's JSON contract (engine/analysis/patterns.ts HEAD_KINDS). */
export const HEAD_KIND_NAMES = ['previous_token', 'duplicate_token', 'induction', 'first_token', 'current_token'] as const;
export type HeadKindName = (typeof HEAD_KIND_NAMES)[number];

/** Exhaustiveness check for dispatch switches. */
export function assertNever(value: never, what = 'message'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
