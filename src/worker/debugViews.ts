/**
 * The worker's half of the debugging views (protocol/dashboardViews.ts): what the model
 * predicts and how surprised it is at every window token, the logit lens at the query, each
 * head's effect on the query's prediction (ablation sweep) and which input tokens that
 * prediction relies on (integrated gradients). Each runs the engine's analysis
 * (engine/analysis/) on the window's tokens, so a window is read exactly as the editor's
 * attention reads it: tokens before the window are not seen.
 */

import {
  ablateHeads,
  ablationSweepSteps,
  gradientTimesInputSteps,
  HeadRefError,
  integratedGradientsSteps,
  logitLens,
  surprisalAndPredictions,
  type Tokenizer,
} from '../engine';
import type { WindowRef } from '../protocol/common';
import type { AblationSweepView, AttributionView, LogitLensView, TokenSurprisal } from '../protocol/dashboardViews';
import type { AblatedWindow, CallRequest } from '../protocol/workerProtocol';
import { WorkerError } from './errors';
import type { ActiveModel } from './activeModel';
import type { PassDriver } from './passes';

/** Predictions listed per position (the hover's top-k is at most this). */
export const PREDICTIONS_PER_TOKEN = 10;
/**
 * Integrated-gradient intervals: completeness within about 1 % on GPT-style models. On models
 * without learned positions (Llama) the zero baseline is degenerate and the gap stays large
 * whatever the steps; the view carries the gap so the page can say so.
 */
export const ATTRIBUTION_STEPS = 64;

const f32 = (a: ArrayLike<number>): Float32Array => Float32Array.from(a);
/** A token's label; an id past the tokenizer's vocabulary (a model's padded rows) is named as such instead of failing. */
const labelOf = (tokenizer: Tokenizer, id: number): string => (id >= 0 && id < tokenizer.vocabSize ? tokenizer.tokenLabel(id) : `<padding ${id}>`);
const labels = (tokenizer: Tokenizer, ids: ArrayLike<number>): string[] => Array.from(ids, (id) => labelOf(tokenizer, id));

/** Surprisal of every window token and the top predictions at every position: one forward over the window. */
export function tokenSurprisal(m: ActiveModel, ids: Int32Array, place: WindowRef): TokenSurprisal {
  const r = surprisalAndPredictions(m.model, ids, PREDICTIONS_PER_TOKEN);
  let sum = 0;
  for (let i = 1; i < r.length; i++) sum += r.surprisal[i] ?? 0;
  return {
    ...place,
    surprisal: f32(r.surprisal),
    loss: r.length > 1 ? sum / (r.length - 1) : NaN,
    k: r.k,
    topIds: r.topIds,
    topProbs: f32(r.topProbs),
    topLabels: labels(m.tokenizer, r.topIds),
    nextRank: r.nextRank,
    nextProb: f32(r.nextProb),
  };
}

/** The top predictions after every layer at window-local `query`, and the actual next token's probability after each. */
export function lensView(m: ActiveModel, ids: Int32Array, place: WindowRef, query: number): LogitLensView {
  const k = Math.min(PREDICTIONS_PER_TOKEN, m.model.config.vocabSize);
  const r = logitLens(m.model, ids, query, k);
  const V = m.model.config.vocabSize;
  const nextId = query + 1 < ids.length ? (ids[query + 1] ?? -1) : -1;
  const nextProbs = new Float32Array(r.layers).fill(NaN);
  if (nextId >= 0) for (let l = 0; l < r.layers; l++) nextProbs[l] = Math.exp(r.logProbs[l * V + nextId] ?? -Infinity);
  return {
    ...place,
    query,
    layers: r.layers,
    k: r.k,
    topIds: r.topIds,
    topProbs: f32(r.topProbs),
    topLabels: labels(m.tokenizer, r.topIds),
    nextId,
    nextLabel: nextId >= 0 ? labelOf(m.tokenizer, nextId) : '',
    nextProbs,
  };
}

/** Each head alone zeroed (one forward per head): the change in log p(the token after the query). */
export async function ablationView(m: ActiveModel, ids: Int32Array, place: WindowRef, query: number, passes: PassDriver): Promise<AblationSweepView> {
  if (query + 1 >= ids.length) throw new WorkerError('bad-input', 'the cursor token is the last of its context window: no token follows it there to predict');
  const r = await passes.run(ablationSweepSteps(m.model, ids, query), 'the ablation sweep');
  return {
    ...place,
    query,
    layers: r.layers,
    heads: r.heads,
    targetId: r.target,
    targetLabel: labelOf(m.tokenizer, r.target),
    logProb: r.logProb,
    effects: f32(r.effects),
  };
}

/**
 * Integrated gradients (or gradient × input) for the prediction at the query (of the token after
 * it, or the model's top guess at the window's end).
 */
export async function attributionView(
  m: ActiveModel,
  ids: Int32Array,
  place: WindowRef,
  query: number,
  passes: PassDriver,
  method: 'ig' | 'grad' = 'ig',
): Promise<AttributionView> {
  const steps = method === 'ig' ? integratedGradientsSteps(m.model, ids, query, { steps: ATTRIBUTION_STEPS }) : gradientTimesInputSteps(m.model, ids, query);
  const r = await passes.run(steps, method === 'ig' ? 'integrated gradients' : 'gradient × input');
  return {
    ...place,
    query,
    method: r.method,
    steps: r.steps,
    targetId: r.target,
    targetLabel: labelOf(m.tokenizer, r.target),
    logProb: r.logProb,
    baselineLogProb: r.baselineLogProb,
    attributions: f32(r.attributions),
    completenessGap: r.completenessGap,
  };
}

/** The window's surprisal with `heads` switched off together, beside the unablated one (the editor's ablation overlay). */
export function ablatedWindow(m: ActiveModel, ids: Int32Array, place: WindowRef, r: CallRequest<'ablate'>): AblatedWindow {
  let a;
  try {
    a = ablateHeads(m.model, ids, r.heads, r.mode);
  } catch (e) {
    if (e instanceof HeadRefError) throw new WorkerError('bad-input', e.message);
    throw e;
  }
  return {
    ...place,
    heads: a.heads.map(({ layer, head }) => ({ layer, head })),
    mode: a.mode,
    surprisalBefore: f32(a.surprisalBefore),
    surprisalAfter: f32(a.surprisalAfter),
    lossBefore: a.lossBefore,
    lossAfter: a.lossAfter,
  };
}
