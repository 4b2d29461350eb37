/**
 * The worker's half of the dashboard views (protocol/dashboardViews.ts): how each is computed
 * from a cached window's weights — the whole attention matrix, head-type scores with entropy
 * and concentration, the rollout row of a query, and one head's q/k/v (which needs a forward
 * that captures them, so it is recomputed for that window rather than cached: it is asked for
 * one head at a time) — and the `view` reply each travels in.
 */

import { summarizeHeads, isCausal, headOutput, headVectors, headKindScores, rolloutRows, classifySequence, HEAD_KINDS, type Transformer } from '../engine';
import type { HeadKindName, WindowRef } from '../protocol/common';
import type { EnginePayload, HeadStats, SequenceClassificationView, ViewName } from '../protocol/dashboardViews';
import type { CallRequest, ViewReply } from '../protocol/workerProtocol';
import type { ActiveModel } from './activeModel';
import type { WindowAttention } from './attentionCache';
import type { OtherSide } from './comparison';
import { comparisonView } from './comparisonView';
import { customHeadsView } from './customHeads';
import { ablationView, attributionView, lensView, tokenSurprisal } from './debugViews';
import { flowView, inductionTest } from './modelTests';
import { WorkerError } from './errors';
import type { PassDriver } from './passes';
import { tokenSlice, type TokenArrays } from './tokenArrays';

/** What every view is computed from: the request, the model, the document's tokens and the window's cached weights. */
export interface ViewContext {
  readonly request: CallRequest<'view'>;
  readonly model: ActiveModel;
  readonly tokens: TokenArrays;
  readonly win: WindowAttention;
  /** Where the window sits; every payload carries it. */
  readonly place: WindowRef;
  /** The query token, as a window index. */
  readonly query: number;
  /** The window's token ids. */
  readonly ids: Int32Array;
  /** What the document is compared with, for the `compare` view (null: nothing, or another view). */
  readonly other: OtherSide | null;
  /** Runs the long analyses pass by pass (progress, cancellation). */
  readonly passes: PassDriver;
}

type Computed<N extends ViewName> = { readonly payload: EnginePayload<N>; readonly transfer: ArrayBuffer[] };

const buffers = (arrays: Float32Array[]): ArrayBuffer[] => arrays.map((a) => a.buffer as ArrayBuffer);

/** How the worker computes each dashboard view (one entry per view: the compiler checks none is missing). */
const VIEWS: { readonly [N in ViewName]: (c: ViewContext) => Computed<N> | Promise<Computed<N>> } = {
  matrix: ({ model: m, tokens, win, place }) => {
    const weights = matrixOf(win);
    const transfer = buffers([weights]);
    const window = tokenSlice(tokens, win.start, win.start + win.length, m.tokenizer, transfer);
    return { payload: { ...place, window, layers: m.model.config.nLayers, heads: m.model.config.nHeads, weights }, transfer };
  },
  headStats: ({ model: m, win, place, ids }) => {
    const { nLayers: layers, nHeads: heads } = m.model.config;
    const s = headStatsOf(win, heads, ids, isCausal(m.model.config));
    return {
      payload: { ...place, layers, heads, ...s },
      transfer: buffers([...Object.values(s.scores), ...Object.values(s.absScores), s.entropy, s.keys50, s.keys90]),
    };
  },
  rollout: ({ model: m, win, place, query }) => {
    const relevance = rolloutOf(win, m.model.config.nHeads, query);
    return { payload: { ...place, query, layers: m.model.config.nLayers, relevance }, transfer: buffers([relevance]) };
  },
  why: ({ request: r, model: m, place, query, ids }) => {
    const v = headVectorsOf(m.model, ids, r.layer, r.head, query);
    return { payload: { ...place, query, layer: r.layer, head: r.head, ...v }, transfer: buffers([v.q, v.k, v.v, v.output]) };
  },
  surprisal: ({ model, place, ids }) => {
    const p = tokenSurprisal(model, ids, place);
    return { payload: p, transfer: [p.surprisal, p.topIds, p.topProbs, p.nextRank, p.nextProb].map((a) => a.buffer as ArrayBuffer) };
  },
  lens: ({ model, place, ids, query }) => {
    const p = lensView(model, ids, place, query);
    return { payload: p, transfer: [p.topIds, p.topProbs, p.nextProbs].map((a) => a.buffer as ArrayBuffer) };
  },
  ablation: async ({ model, place, ids, query, passes }) => {
    const p = await ablationView(model, ids, place, query, passes);
    return { payload: p, transfer: buffers([p.effects]) };
  },
  attribution: async ({ model, place, ids, query, passes }) => {
    const p = await attributionView(model, ids, place, query, passes);
    return { payload: p, transfer: buffers([p.attributions]) };
  },
  flow: async ({ model, win, place, query, passes }) => {
    const p = await flowView(model, win, place, query, passes);
    return { payload: p, transfer: buffers([p.flow]) };
  },
  induction: ({ model, place }) => {
    const p = inductionTest(model, place);
    return { payload: p, transfer: [...buffers([p.induction, p.duplicate, p.previousToken]), p.ids.buffer as ArrayBuffer] };
  },
  compare: ({ model, place, ids, query, win, other }) => {
    const p = comparisonView(model, ids, place, query, win, other);
    const c = p.comparison;
    // aligned may be a view of the other side's arrays: copied, not transferred.
    return {
      payload: c ? { ...p, comparison: { ...c, aligned: c.aligned.slice() } } : p,
      transfer: c ? buffers([c.headDelta, c.rowDelta, c.surprisal, c.otherSurprisal]) : [],
    };
  },
  classification: ({ model: m, place, ids }) => {
    const p = { ...place, ...classificationOf(m.model, ids) };
    return { payload: p, transfer: buffers([p.logits, p.probabilities]) };
  },
  customHeads: ({ request: r, model, win, place, ids }) => {
    const p = customHeadsView(model, win, ids, place, r.detector);
    return { payload: p, transfer: buffers([p.scores]) };
  },
};

/** The classifier's logits, probabilities and prediction for a window's ids (all token types 0); none without a head. */
export function classificationOf(model: Transformer, ids: Int32Array): Pick<SequenceClassificationView, 'labels' | 'logits' | 'probabilities' | 'predicted'> {
  const labels = model.config.labels;
  if (!labels || ids.length === 0) return { labels: [], logits: new Float32Array(0), probabilities: new Float32Array(0), predicted: -1 };
  const r = model.forward(null, ids, 1, ids.length, { capture: { hidden: true } });
  const last = r.hidden?.[model.config.nLayers];
  if (!last) throw new WorkerError('internal', 'the forward pass did not return the last hidden state the classifier reads');
  const c = classifySequence(model, last);
  const top = Math.max(...c.logits);
  const exps = Array.from(c.logits, (z) => Math.exp(z - top));
  const sum = exps.reduce((s, e) => s + e, 0);
  const probabilities = labels.length === 1 ? Float32Array.of(c.probability) : Float32Array.from(exps, (e) => e / sum);
  return { labels: [...labels], logits: Float32Array.from(c.logits), probabilities, predicted: c.labelIndex };
}

/** The reply to a view request on window `win` of a document's tokens, with the buffers to transfer. */
export async function viewReply(
  r: CallRequest<'view'> & { readonly id: number },
  model: ActiveModel,
  tokens: TokenArrays,
  win: WindowAttention,
  passes: PassDriver,
  other: OtherSide | null = null,
): Promise<{ message: ViewReply; transfer: ArrayBuffer[] }> {
  const place = { documentKey: r.documentKey, version: r.version, windowStart: win.start, windowLength: win.length };
  const context: ViewContext = {
    request: r,
    model,
    tokens,
    win,
    place,
    query: r.token - win.start,
    ids: tokens.ids.subarray(win.start, win.start + win.length),
    other,
    passes,
  };
  return compute(r.view, r.id, context);
}

async function compute<N extends ViewName>(view: N, id: number, context: ViewContext): Promise<{ message: ViewReply; transfer: ArrayBuffer[] }> {
  const { payload, transfer } = await VIEWS[view](context);
  return { message: { type: 'view', id, view, payload } as ViewReply, transfer };
}

/** [L, H, W, W]: the window's weights, layer after layer. */
export function matrixOf(win: WindowAttention): Float32Array {
  const per = win.weights[0]?.length ?? 0;
  const out = new Float32Array(per * win.weights.length);
  win.weights.forEach((w, l) => out.set(w, l * per));
  return out;
}

export type HeadStatsArrays = Pick<HeadStats, 'scores' | 'absScores' | 'entropy' | 'keys50' | 'keys90'>;

/** `causal` false (an encoder): two-sided patterns, entropies and key counts over every key. */
export function headStatsOf(win: WindowAttention, heads: number, ids: Int32Array, causal = true): HeadStatsArrays {
  const s = summarizeHeads(win.weights, heads, ids, { causal });
  const f = (a: Float64Array): Float32Array => Float32Array.from(a);
  const abs = headKindScores({ layers: win.weights, heads, tokens: ids }, HEAD_KINDS, { causal, method: 'abs' });
  return {
    absScores: {
      previous_token: f(abs.previous_token),
      duplicate_token: f(abs.duplicate_token),
      induction: f(abs.induction),
      first_token: f(abs.first_token),
      current_token: f(abs.current_token),
    } satisfies Record<HeadKindName, Float32Array>,
    scores: {
      previous_token: f(s.scores.previous_token),
      duplicate_token: f(s.scores.duplicate_token),
      induction: f(s.scores.induction),
      first_token: f(s.scores.first_token),
      current_token: f(s.scores.current_token),
    } satisfies Record<HeadKindName, Float32Array>,
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
  if (layer >= nLayers || head >= nHeads)
    throw new WorkerError('bad-input', `layer ${layer}, head ${head} does not exist: the model has ${nLayers} layers × ${nHeads} heads`);
  const T = ids.length;
  const r = model.forward(null, ids, 1, T, { capture: { attention: true, qkv: true } });
  const cap = r.layers[layer]!;
  const hs = model.headSize;
  const vec = headVectors({ q: cap.q!, k: cap.k!, v: cap.v! }, { tokens: T, heads: nHeads, kvHeads: nKvHeads, headSize: hs }, head, query);
  const weights = cap.attention!.subarray((head * T + query) * T, (head * T + query + 1) * T);
  return { ...vec, output: headOutput(weights, vec.v, hs) };
}
