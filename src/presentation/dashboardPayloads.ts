/**
 * Turns what the host holds into what the dashboard is sent: the worker's attentionRows reply
 * into a QueryAttention, its headStats / rollout / headVectors replies into HeadStats,
 * RolloutRow and WhyDetail (shapes checked, typed arrays copied, so a post never drags along
 * a larger buffer they might view). Pure, for the host's panel.
 */

import { HEAD_KIND_NAMES, type HeadKindName, type HeadStats, type QueryAttention, type RolloutRow, type WhyDetail, type WindowRef } from '../protocol/webviewProtocol';
import type { WorkerToHost } from '../protocol/workerProtocol';

export type AttentionRowsReply = Extract<WorkerToHost, { type: 'attentionRows' }>;
export type HeadStatsReply = Extract<WorkerToHost, { type: 'headStats' }>;
export type RolloutReply = Extract<WorkerToHost, { type: 'rollout' }>;
export type HeadVectorsReply = Extract<WorkerToHost, { type: 'headVectors' }>;

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

export function toQueryAttention(r: AttentionRowsReply, documentName: string): QueryAttention {
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

/** The worker's per-head statistics ([L, H] each) as the dashboard's HeadStats. */
export function toHeadStats(r: HeadStatsReply): HeadStats {
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

/** The worker's rollout of one query ([L, W]) as the dashboard's RolloutRow. */
export function toRolloutRow(r: RolloutReply): RolloutRow {
  const relevance = copyOf('rollout relevance', r.relevance, r.layers * r.windowLength, `${r.layers} layers × ${r.windowLength} tokens`);
  return { ...windowOf(r), query: r.query, layers: r.layers, relevance };
}

/** The worker's q, k, v and output of one head for one query as the dashboard's WhyDetail. */
export function toWhyDetail(r: HeadVectorsReply): WhyDetail {
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

export function windowOf(a: WindowRef): WindowRef {
  return { documentKey: a.documentKey, version: a.version, windowStart: a.windowStart, windowLength: a.windowLength };
}

export function sameWindow(a: WindowRef | null, b: WindowRef | null): boolean {
  return !!a && !!b && a.documentKey === b.documentKey && a.version === b.version && a.windowStart === b.windowStart && a.windowLength === b.windowLength;
}
