/**
 * Sliding context windows over a text longer than the model's context: one plan shared by the
 * CLI (`attention`), the worker (which runs the windows) and the host (which marks them and asks
 * for the right one), so all three agree on which tokens a query's attention is read over.
 *
 * Window w covers tokens [w·S, min(w·S + C, T)) for a context of C tokens, a stride of S
 * (default ⌊C/2⌋) and a text of T tokens; there are just enough windows for the last to reach
 * the end. Consecutive windows overlap by C − S tokens, and each query is read in one window:
 * - causal model: the window that gives it the most preceding tokens, the earliest that holds
 *   it — so every query past the first window sees at least C − S ≥ C/2 earlier tokens;
 * - bidirectional model: the window where it sits most centrally (the most context on its
 *   nearer side), the earlier one on a tie.
 * Which window a query belongs to never decreases along the text, so each window owns one run
 * of queries (`queriesOf`).
 */

export interface ContextWindow {
  /** 0-based window number. */
  readonly index: number;
  /** First token of the window. */
  readonly start: number;
  /** Tokens in the window (the context, or fewer when the text is shorter). */
  readonly length: number;
}

export interface WindowPlan {
  readonly tokenCount: number;
  readonly context: number;
  /** Tokens between window starts, 1 … context. */
  readonly stride: number;
  readonly causal: boolean;
}

/** The stride used for a requested one: 0 (or anything not a positive integer) means ⌊context/2⌋; at most the context. */
export function effectiveStride(context: number, requested = 0): number {
  const c = Math.max(1, Math.floor(context));
  if (!Number.isFinite(requested) || requested < 1) return Math.max(1, Math.floor(c / 2));
  return Math.min(c, Math.floor(requested));
}

export function windowPlan(tokenCount: number, context: number, requestedStride: number, causal: boolean): WindowPlan {
  return { tokenCount, context: Math.max(1, Math.floor(context)), stride: effectiveStride(context, requestedStride), causal };
}

export function windowCount(p: WindowPlan): number {
  if (p.tokenCount <= p.context) return 1;
  return 1 + Math.ceil((p.tokenCount - p.context) / p.stride);
}

export function windowAt(p: WindowPlan, index: number): ContextWindow {
  const start = index * p.stride;
  return { index, start, length: Math.max(0, Math.min(p.context, p.tokenCount - start)) };
}

export function allWindows(p: WindowPlan): ContextWindow[] {
  return Array.from({ length: windowCount(p) }, (_, i) => windowAt(p, i));
}

/** The window query token `token` (0 ≤ token < tokenCount) is read in (see the header). */
export function windowForQuery(p: WindowPlan, token: number): ContextWindow {
  const last = windowCount(p) - 1;
  // The earliest window holding the token: the first whose end passes it.
  const first = Math.min(last, Math.max(0, Math.ceil((token - p.context + 1) / p.stride)));
  if (p.causal) return windowAt(p, first);
  let best = windowAt(p, first);
  let bestSide = -1;
  for (let i = first; i <= last && i * p.stride <= token; i++) {
    const w = windowAt(p, i);
    const side = Math.min(token - w.start, w.start + w.length - 1 - token);
    if (side > bestSide) {
      best = w;
      bestSide = side;
    }
  }
  return best;
}

/** The queries [from, to) read in window `index` (empty, from = to, when none is). */
export function queriesOf(p: WindowPlan, index: number): { from: number; to: number } {
  // owner(t) is non-decreasing in t: binary search for the first token owned by index and by index + 1.
  const firstOwnedBy = (i: number): number => {
    let lo = 0;
    let hi = p.tokenCount;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (windowForQuery(p, mid).index >= i) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  return { from: firstOwnedBy(index), to: firstOwnedBy(index + 1) };
}
