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
  /** e.g. "char (97 tokens)". */
  readonly tokenizer: string;
  /** Where the model came from: a file path, or a description for a model trained just now. */
  readonly source: string;
  /** 'soft' or 'hard'. */
  readonly attentionMode: string;
  /** Training steps this model has had, when known. */
  readonly trainedSteps: number | null;
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

/** Exhaustiveness check for dispatch switches. */
export function assertNever(value: never, what = 'message'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
