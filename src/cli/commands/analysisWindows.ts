/**
 * The debugging commands (surprisal, lens, ablate, attribute) over a text longer than the
 * model's context, read in the sliding windows the editor and `attention` use
 * (src/protocol/contextWindows.ts).
 *
 * A token's surprisal is read in the window that reads the token as a query (as the editor's
 * overlay reads it), from the row before it there. So the prediction made at position i — of
 * token i+1 — is read in the window of token i+1 (of token i for the last token): that window
 * holds i as well, with at least half a context before it past the first window, and the
 * surprisal of i+1, the top-k at i, the logit lens, the ablation sweep and the attribution at i
 * all come from that one window.
 */

import { checkPosition, isCausal, type Transformer } from '../../engine';
import { allWindows, queriesOf, windowCount, windowForQuery, windowPlan, type ContextWindow, type WindowPlan } from '../../protocol/contextWindows';
import { UsageError, type ParsedArgs } from '../args';
import type { Output } from '../output';

/** Tokens a debugging command reads (its per-token JSON grows with them; each window is one forward pass or more). */
export const MAX_ANALYSIS_TOKENS = 1_000_000;

/**
 * The plan for `T` tokens with --stride (default: half the context). Consecutive windows must
 * overlap by a token at least: a prediction is read where the token before it is in the same
 * window, so a stride of the whole context would leave each window's first token unpredicted.
 */
export function analysisPlan(model: Transformer, T: number, args: ParsedArgs): WindowPlan {
  const C = model.config.contextLength;
  if (C < 2) throw new UsageError(`this model reads at most ${C} token at once (its context): there is no earlier token to predict from or attend to`);
  const raw = args.values.get('stride');
  if (raw !== undefined && (!/^\d+$/.test(raw.trim()) || Number(raw) < 1 || Number(raw) >= C))
    throw new UsageError(
      `--stride must be an integer from 1 to ${C - 1} (the context less one: windows overlap so that each token is predicted in its window), got "${raw}"`,
    );
  return windowPlan(T, C, raw === undefined ? 0 : Number(raw), isCausal(model.config));
}

/** The window the prediction made at `position` (of token position + 1) is read in. */
export function predictionWindow(plan: WindowPlan, position: number): ContextWindow {
  return windowForQuery(plan, Math.min(position + 1, plan.tokenCount - 1));
}

export interface PositionWindow {
  readonly window: ContextWindow;
  /** The window's tokens. */
  readonly ids: Int32Array;
  /** The position inside them. */
  readonly local: number;
  /** {"start", "end"} of the window, for the JSON; null when the text fits in one. */
  readonly json: { start: number; end: number } | null;
}

/** The window the prediction at `position` is read in (its range checked on the whole text first, so errors name text positions). */
export function positionWindow(model: Transformer, ids: Int32Array, position: number, args: ParsedArgs): PositionWindow {
  checkPosition(position, ids.length);
  const plan = analysisPlan(model, ids.length, args);
  const window = predictionWindow(plan, position);
  const json = windowCount(plan) > 1 ? { start: window.start, end: window.start + window.length } : null;
  return { window, ids: ids.subarray(window.start, window.start + window.length), local: position - window.start, json };
}

/** The windows as `attention --json` lists them: tokens [start, end) and the queries [query_start, query_end) read in each. */
export function windowsJson(plan: WindowPlan): { start: number; end: number; query_start: number; query_end: number }[] {
  return allWindows(plan).map((w) => {
    const q = queriesOf(plan, w.index);
    return { start: w.start, end: w.start + w.length, query_start: q.from, query_end: q.to };
  });
}

/**
 * Runs `analyse` on each window once, in order, and hands `read` the token positions whose
 * value is read there: surprisal-like values (token t from the row before it) are read in the
 * window that reads t as a query. Each window's result is dropped once read. With more than one
 * window, `out` shows how many are done (a small --stride over a long text is thousands of
 * forward passes: minutes, which should not pass in silence).
 */
export function forEachQueryWindow<R>(
  plan: WindowPlan,
  ids: Int32Array,
  analyse: (slice: Int32Array, w: ContextWindow) => R,
  read: (r: R, w: ContextWindow, from: number, to: number) => void,
  out: Output,
): void {
  const list = allWindows(plan);
  for (const w of list) {
    const q = queriesOf(plan, w.index);
    if (q.to > q.from) read(analyse(ids.subarray(w.start, w.start + w.length), w), w, q.from, q.to);
    if (list.length > 1) out.progress(w.index + 1, list.length, 'windows');
  }
  out.endProgress();
}
