/**
 * Checks and copies what the engine sends before the dashboard holds it: the worker's
 * attentionRows reply becomes the page's QueryAttention, and each view's payload is checked
 * against the shape its own fields announce (a mismatch is a bug on the worker's side, shown as
 * the view's reason instead of a broken drawing). Typed arrays are copied, so a post never drags
 * along a larger buffer they might view. Pure (no VS Code), unit-tested.
 */

import { HEAD_KIND_NAMES, type HeadKindName } from '../../protocol/common';
import { windowOf, type HeadStats, type RolloutRow, type WhyDetail } from '../../protocol/dashboardViews';
import type { QueryAttention } from '../../protocol/webviewProtocol';
import type { AttentionRows } from '../../protocol/workerProtocol';

/** A reply whose arrays do not have the shape its own fields announce (a bug on the worker's side). */
export class BadReplyError extends RangeError {
  constructor(what: string, length: number, expected: number, shape: string) {
    super(`the engine's ${what} has ${length} values; ${shape} needs ${expected}`);
    this.name = 'BadReplyError';
  }
}

function copyOf(what: string, a: Float32Array, expected: number, shape: string): Float32Array {
  if (a.length !== expected) throw new BadReplyError(what, a.length, expected, shape);
  return a.slice();
}

export function toQueryAttention(r: AttentionRows, documentName: string): QueryAttention {
  return {
    documentKey: r.documentKey,
    documentName,
    version: r.version,
    from: r.from,
    to: r.to,
    windowStart: r.windowStart,
    windowLength: r.windowLength,
    tokens: { first: r.window.first, ids: r.window.ids.slice(), starts: r.window.starts.slice(), ends: r.window.ends.slice(), labels: [...r.window.labels] },
    layers: r.layers,
    heads: r.heads,
    rows: r.rows.slice(),
    columns: r.columns.slice(),
    scores: r.scores.slice(),
  };
}

/** Per-head statistics, [L, H] each. */
export function checkedHeadStats(r: HeadStats): HeadStats {
  const n = r.layers * r.heads;
  const shape = `${r.layers} layers × ${r.heads} heads`;
  const scores = {} as Record<HeadKindName, Float32Array>;
  for (const kind of HEAD_KIND_NAMES) scores[kind] = copyOf(`${kind} score`, r.scores[kind], n, shape);
  return {
    ...windowOf(r),
    layers: r.layers,
    heads: r.heads,
    scores,
    entropy: copyOf('entropy', r.entropy, n, shape),
    keys50: copyOf('keys50', r.keys50, n, shape),
    keys90: copyOf('keys90', r.keys90, n, shape),
  };
}

/** The rollout of one query, [L, W]. */
export function checkedRolloutRow(r: RolloutRow): RolloutRow {
  const relevance = copyOf('rollout relevance', r.relevance, r.layers * r.windowLength, `${r.layers} layers × ${r.windowLength} tokens`);
  return { ...windowOf(r), query: r.query, layers: r.layers, relevance };
}

/** q, k, v and output of one head for one query. */
export function checkedWhyDetail(r: WhyDetail): WhyDetail {
  const hs = r.headSize;
  const keys = `${r.windowLength} keys × ${hs} dims`;
  return {
    ...windowOf(r),
    query: r.query,
    layer: r.layer,
    head: r.head,
    headSize: hs,
    q: copyOf('query vector', r.q, hs, `a head of ${hs} dims`),
    k: copyOf('key vectors', r.k, r.windowLength * hs, keys),
    v: copyOf('value vectors', r.v, r.windowLength * hs, keys),
    output: copyOf('head output', r.output, hs, `a head of ${hs} dims`),
  };
}
