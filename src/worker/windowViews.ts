/**
 * The dashboard's window-level views, computed from a cached window's weights: the whole
 * attention matrix, head-type scores with entropy and concentration, the rollout row of a
 * query, and one head's q/k/v (which needs a forward that captures them, so it is recomputed
 * for that window rather than cached: it is asked for one head at a time) — and the reply
 * message each of them travels in.
 */

import { summarizeHeads, headOutput, headVectors, rolloutRows, type Transformer } from '../engine';
import { assertNever } from '../protocol/common';
import type { HeadTypeScores, HostToWorker, WorkerToHost } from '../protocol/workerProtocol';
import type { ActiveModel } from './activeModel';
import type { WindowAttention } from './attentionCache';
import { WorkerError } from './errors';
import { tokenSlice, type TokenArrays } from './tokenArrays';

type ViewRequest = Extract<HostToWorker, { type: 'attentionMatrix' | 'headStats' | 'rollout' | 'headVectors' }>;

/** The reply to a window-view request on window `win` of a document's tokens, with the buffers to transfer. */
export function windowViewReply(r: ViewRequest, m: ActiveModel, tokens: TokenArrays, win: WindowAttention): { message: WorkerToHost; transfer: ArrayBuffer[] } {
  const { nLayers: layers, nHeads: heads } = m.model.config;
  const place = { id: r.id, documentKey: r.documentKey, version: r.version, windowStart: win.start, windowLength: win.length };
  const query = r.token - win.start;
  const ids = tokens.ids.subarray(win.start, win.start + win.length);
  const buffers = (arrays: Float32Array[]): ArrayBuffer[] => arrays.map((a) => a.buffer as ArrayBuffer);
  switch (r.type) {
    case 'attentionMatrix': {
      const weights = matrixOf(win);
      const transfer = buffers([weights]);
      const window = tokenSlice(tokens, win.start, win.start + win.length, m.tokenizer, transfer);
      return { message: { ...place, type: 'attentionMatrix', window, layers, heads, weights }, transfer };
    }
    case 'headStats': {
      const s = headStatsOf(win, heads, ids);
      return { message: { ...place, type: 'headStats', layers, heads, ...s }, transfer: buffers([...Object.values(s.scores), s.entropy, s.keys50, s.keys90]) };
    }
    case 'rollout': {
      const relevance = rolloutOf(win, heads, query);
      return { message: { ...place, type: 'rollout', query, layers, relevance }, transfer: buffers([relevance]) };
    }
    case 'headVectors': {
      const v = headVectorsOf(m.model, ids, r.layer, r.head, query);
      return { message: { ...place, type: 'headVectors', query, layer: r.layer, head: r.head, ...v }, transfer: buffers([v.q, v.k, v.v, v.output]) };
    }
    default:
      return assertNever(r, 'window view');
  }
}

/** [L, H, W, W]: the window's weights, layer after layer. */
export function matrixOf(win: WindowAttention): Float32Array {
  const per = win.weights[0]?.length ?? 0;
  const out = new Float32Array(per * win.weights.length);
  win.weights.forEach((w, l) => out.set(w, l * per));
  return out;
}

export interface HeadStats {
  readonly scores: HeadTypeScores;
  readonly entropy: Float32Array;
  readonly keys50: Float32Array;
  readonly keys90: Float32Array;
}

export function headStatsOf(win: WindowAttention, heads: number, ids: Int32Array): HeadStats {
  const s = summarizeHeads(win.weights, heads, ids);
  const f = (a: Float64Array): Float32Array => Float32Array.from(a);
  return {
    scores: {
      previous_token: f(s.scores.previous_token),
      duplicate_token: f(s.scores.duplicate_token),
      induction: f(s.scores.induction),
      first_token: f(s.scores.first_token),
      current_token: f(s.scores.current_token),
    },
    entropy: f(s.entropy),
    keys50: f(s.keys50),
    keys90: f(s.keys90),
  };
}

/** [L, W]: relevance of each key to window-local `query` after layers 1..l. */
export function rolloutOf(win: WindowAttention, heads: number, query: number): Float32Array {
  return Float32Array.from(rolloutRows(win.weights, heads, win.length, query));
}

export interface HeadVectorView {
  readonly headSize: number;
  readonly q: Float32Array;
  readonly k: Float32Array;
  readonly v: Float32Array;
  readonly output: Float32Array;
}

/** q, k, v and Σ weights·v of one head for window-local `query`, from a forward over the window's ids. */
export function headVectorsOf(model: Transformer, ids: Int32Array, layer: number, head: number, query: number): HeadVectorView {
  const { nLayers, nHeads, nKvHeads } = model.config;
  if (layer >= nLayers || head >= nHeads) throw new WorkerError('bad-input', `layer ${layer}, head ${head} does not exist: the model has ${nLayers} layers × ${nHeads} heads`);
  const T = ids.length;
  const r = model.forward(null, ids, 1, T, { capture: { attention: true, qkv: true } });
  const cap = r.layers[layer]!;
  const hs = model.headSize;
  const vec = headVectors({ q: cap.q!, k: cap.k!, v: cap.v! }, { tokens: T, heads: nHeads, kvHeads: nKvHeads, headSize: hs }, head, query);
  const weights = cap.attention!.subarray((head * T + query) * T, (head * T + query + 1) * T);
  return { ...vec, output: headOutput(weights, vec.v, hs) };
}
