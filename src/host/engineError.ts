/**
 * A failed engine request as the host sees it (EngineError), and what the log keeps of an error
 * beside its one-line message. A user's error (a file that is not a checkpoint, a refused input,
 * the hub offline: an engine error with a code of USER_CODES) is fully said by its message, so
 * the log gets no stack trace for it; the engine's internal errors, malformed messages and the
 * host's own errors get the stack and the worker's detail, which is what a bug report needs.
 *
 * No VS Code import: unit tests drive it directly.
 */

import type { ErrorCode } from '../protocol/common';

/** A failed request, as data from the worker or from the client itself. */
export class EngineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail: string | null = null,
    readonly workerCrashed = false,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

const USER_CODES: ReadonlySet<ErrorCode> = new Set(['no-model', 'bad-input', 'checkpoint', 'busy', 'cancelled', 'diverged', 'stale', 'offline', 'download']);

export function errorDetail(error: unknown): string {
  if (!(error instanceof Error)) return '';
  if (error instanceof EngineError && USER_CODES.has(error.code) && !error.workerCrashed) return '';
  const detail = (error as { detail?: unknown }).detail;
  return `${error.stack ?? error.message}${detail ? `\n${String(detail)}` : ''}`;
}
