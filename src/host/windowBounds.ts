/**
 * The context window an attention result was read in, as the editor shows it: which document
 * tokens and characters it covers (the status bar's tooltip) and where its bound marks go (the
 * first and last token that span text; BOS spans none).
 */

import type { AttentionRows } from './attentionService';
import type { DocumentTokens } from './documentTokens';

/** Which tokens and characters the query's context window covers, out of the document's. */
export interface ShownWindow {
  /** Document tokens [first, last] of the window. */
  readonly first: number;
  readonly last: number;
  readonly tokenCount: number;
  /** UTF-16 offsets [startChar, endChar) the window's tokens span. */
  readonly startChar: number;
  readonly endChar: number;
  readonly context: number;
  readonly stride: number;
}

/** The window of a result: its tokens, and the characters from its first to its last token that span text. */
export function shownWindow(r: AttentionRows, tokens: DocumentTokens): ShownWindow {
  const w = r.window;
  let startChar = 0;
  let endChar = 0;
  for (let k = 0; k < r.windowLength; k++)
    if (w.ends[k]! > w.starts[k]!) {
      startChar = w.starts[k]!;
      break;
    }
  for (let k = r.windowLength - 1; k >= 0; k--)
    if (w.ends[k]! > w.starts[k]!) {
      endChar = w.ends[k]!;
      break;
    }
  return {
    first: r.windowStart,
    last: r.windowStart + r.windowLength - 1,
    tokenCount: tokens.tokenCount,
    startChar,
    endChar,
    context: tokens.windowSize,
    stride: tokens.windowStride,
  };
}

/** End offset of the window's first token that spans text (BOS spans none). */
export function firstTextEnd(r: AttentionRows): number {
  for (let k = 0; k < r.windowLength; k++) if (r.window.ends[k]! > r.window.starts[k]!) return r.window.ends[k]!;
  return 0;
}

/** Start offset of the window's last token that spans text. */
export function lastTextStart(r: AttentionRows): number {
  for (let k = r.windowLength - 1; k >= 0; k--) if (r.window.ends[k]! > r.window.starts[k]!) return r.window.starts[k]!;
  return 0;
}
