/**
 * How failures inside the worker become protocol data: a `WorkerError` carries its ErrorCode
 * explicitly; the engine's and node helpers' named errors are mapped by class; anything else
 * is 'internal' (a bug), unless the request says what an unexpected failure means (a load
 * that fails in an unforeseen way is still "the checkpoint could not be read").
 */

import type { ErrorCode } from '../protocol/common';
import type { WorkerToHost } from '../protocol/workerProtocol';
import {
  HeadRefError,
  HeadPatternError,
  AttributionTargetError,
  PositionError,
  NoLmHeadError,
  CheckpointError,
  ModelConfigError,
  UnknownPresetError,
  CharTokenizerError,
  NoTokenizerError,
  TokenizerJsonError,
  Llama2cTokenizerError,
  DatasetError,
  TrainOptionsError,
} from '../engine';
import { AtomicWriteError } from '../node/atomicWrite';
import { LoadCancelledError, ModelFileError } from '../node/loadModel';
import { HuggingFaceTokenizerError } from '../node/huggingface/hfTokenizer';
import { FileReadError } from '../node/readFileBytes';

/** A failure whose code the worker decided (busy, no-model, stale, cancelled, …). */
export class WorkerError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'WorkerError';
    this.code = code;
  }
}

/** The ErrorCode for a thrown value; `fallback` for errors no rule knows. */
export function errorCodeOf(e: unknown, fallback: ErrorCode = 'internal'): ErrorCode {
  if (e instanceof WorkerError) return e.code;
  if (e instanceof LoadCancelledError) return 'cancelled';
  // A model without a tokenizer cannot read a document's text: the input is unusable with it.
  if (e instanceof DatasetError || e instanceof TrainOptionsError || e instanceof UnknownPresetError || e instanceof NoTokenizerError) return 'bad-input';
  // A question the analyses cannot answer here (no next token, a head the model lacks).
  if (
    e instanceof PositionError ||
    e instanceof HeadRefError ||
    e instanceof HeadPatternError ||
    e instanceof AttributionTargetError ||
    e instanceof NoLmHeadError
  )
    return 'bad-input';
  if (
    e instanceof CheckpointError ||
    e instanceof ModelFileError ||
    e instanceof FileReadError ||
    e instanceof AtomicWriteError ||
    e instanceof ModelConfigError ||
    e instanceof TokenizerJsonError ||
    e instanceof CharTokenizerError ||
    e instanceof Llama2cTokenizerError ||
    e instanceof HuggingFaceTokenizerError
  ) {
    return 'checkpoint';
  }
  return fallback;
}

/** The `failed` reply for a thrown value: its message for people, its stack for the log. */
export function failure(id: number | null, e: unknown, fallback: ErrorCode = 'internal'): Extract<WorkerToHost, { type: 'failed' }> {
  const err = e instanceof Error ? e : new Error(String(e));
  return { type: 'failed', id, code: errorCodeOf(e, fallback), message: err.message || err.name, detail: err.stack ?? null };
}
