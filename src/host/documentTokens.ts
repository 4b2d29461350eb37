/**
 * The host's partial copy of a document's tokenization: the slices the worker sent for the
 * ranges the user can see, for one document version. Enough to find the token under the
 * cursor or the mouse without asking the worker again.
 */

import type { TokenSlice } from '../protocol/common';
import { queriesOf, windowForQuery, windowPlan, type ContextWindow, type WindowPlan } from '../protocol/contextWindows';

export class DocumentTokens {
  private slices: TokenSlice[] = [];

  constructor(
    readonly documentKey: string,
    readonly version: number,
    readonly tokenCount: number,
    readonly windowSize: number,
    readonly windowStride: number,
    readonly causal: boolean,
  ) {
    this.plan = windowPlan(tokenCount, windowSize, windowStride, causal);
  }

  /** The document's sliding context windows (contextWindows.ts), as the worker runs them. */
  readonly plan: WindowPlan;

  /** The window query token `token` is read in. */
  windowOf(token: number): ContextWindow {
    return windowForQuery(this.plan, token);
  }

  /** The queries [from, to) read in the window that `token` is read in. */
  queriesWith(token: number): { from: number; to: number } {
    return queriesOf(this.plan, this.windowOf(token).index);
  }

  add(slices: readonly TokenSlice[]): void {
    for (const s of slices) if (s.ids.length > 0) this.slices.push(s);
    this.slices.sort((a, b) => a.first - b.first);
    // Keep memory bounded when a long document is scrolled through.
    if (this.slices.length > 64) this.slices = this.slices.slice(-64);
  }

  /**
   * Index of the token covering UTF-16 offset `offset` (or, at the end of a token, that
   * token); −1 when the slices held don't cover it. Tokens that span no text (BOS) are skipped.
   */
  tokenAt(offset: number): number {
    for (const s of this.slices) {
      const n = s.ids.length;
      if (n === 0 || offset < s.starts[0]! || offset > s.ends[n - 1]!) continue;
      // Binary search for the last token starting at or before offset.
      let lo = 0,
        hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (s.starts[mid]! <= offset) lo = mid;
        else hi = mid - 1;
      }
      // Prefer a token that actually contains offset; else the one ending at it (cursor after the last character).
      for (let i = lo; i >= 0 && i >= lo - 8; i--) {
        if (s.starts[i]! <= offset && offset < s.ends[i]!) return s.first + i;
      }
      for (let i = lo; i >= 0 && i >= lo - 8; i--) {
        if (s.ends[i]! === offset && s.ends[i]! > s.starts[i]!) return s.first + i;
      }
    }
    return -1;
  }

  /** The [start, end) UTF-16 span of document token `index`, or null when no slice held covers it. */
  rangeOf(index: number): { start: number; end: number } | null {
    for (const s of this.slices) {
      const i = index - s.first;
      const start = s.starts[i];
      const end = s.ends[i];
      if (start !== undefined && end !== undefined) return { start, end };
    }
    return null;
  }

  /** Tokens overlapping [start, end): [from, to) indices, or null when not covered. */
  tokensIn(start: number, end: number): { from: number; to: number } | null {
    const a = this.tokenAt(start);
    const b = this.tokenAt(Math.max(start, end - 1));
    if (a < 0 || b < 0) return null;
    return { from: a, to: b + 1 };
  }

  /** Whether the held slices cover every requested offset range. */
  covers(ranges: readonly { start: number; end: number }[]): boolean {
    return ranges.every((r) => this.tokenAt(r.start) >= 0 && this.tokenAt(Math.max(r.start, r.end - 1)) >= 0);
  }
}
