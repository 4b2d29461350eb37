/**
 * The worker's half of two on-demand dashboard views that read the model rather than one
 * attention matrix: attention flow from the query (max-flows through every layer, beside
 * rollout: engine/analysis/flow.ts) and the repeated-random-tokens test for induction heads
 * (engine/analysis/repeatedTokens.ts), which runs the model on random tokens, not on the text.
 */

import { attentionFlowRowSteps, isCausal, layerMatrices, repeatedRandomTokens, repeatedTokenScores, Rng, secondHalfLoss } from '../engine';
import type { WindowRef } from '../protocol/common';
import type { FlowRowView, InductionTestView } from '../protocol/dashboardViews';
import type { ActiveModel } from './activeModel';
import type { WindowAttention } from './attentionCache';
import { WorkerError } from './errors';
import type { PassDriver } from './passes';
import { logProbOfRow } from './rowMath';

/** Flow from the query's node at the top layer to each window token, one max-flow per token. */
export async function flowView(m: ActiveModel, win: WindowAttention, place: WindowRef, query: number, passes: PassDriver): Promise<FlowRowView> {
  const { nHeads: H, nLayers: L } = m.model.config;
  const mats = layerMatrices(win.weights, H, win.length);
  const r = await passes.run(attentionFlowRowSteps(mats, win.length, L, query), 'attention flow');
  return { ...place, query, layers: L, flow: Float32Array.from(r.normalized) };
}

/** Sequences in the test's batch, and the longest repeated half (ARENA uses 4 × 384 on GPT-2; the context bounds it here). */
export const INDUCTION_BATCH = 4;
export const INDUCTION_MAX_HALF = 50;
/** A fixed seed: the same model gives the same scores every time. */
const INDUCTION_SEED = 1234;

/** The repeated-random-tokens test: per head the stripe means over second-half queries, and the loss on each half. */
export function inductionTest(m: ActiveModel, place: WindowRef): InductionTestView {
  const cfg = m.model.config;
  if (!isCausal(cfg)) throw new WorkerError('bad-input', 'the repeated-random-tokens test reads a causal model; this one is bidirectional (an encoder)');
  const bosId = m.tokenizer.bosId;
  const bos = bosId !== null && bosId < cfg.vocabSize;
  const first = bos ? 1 : 0;
  const half = Math.min(INDUCTION_MAX_HALF, Math.floor((cfg.contextLength - first) / 2));
  if (half < 2) throw new WorkerError('bad-input', `the model's context (${cfg.contextLength} tokens) is too short to repeat a sequence`);
  // Ordinary tokens: above the first few ids (specials in llama2.c and most vocabularies), below the tokenizer's vocabulary.
  const hi = Math.min(cfg.vocabSize, m.tokenizer.vocabSize);
  const lo = hi > 8 ? 3 : 0;
  const rng = new Rng(INDUCTION_SEED);
  const n = first + 2 * half;
  const ids = new Int32Array(INDUCTION_BATCH * n);
  for (let b = 0; b < INDUCTION_BATCH; b++) ids.set(repeatedRandomTokens(rng, half, lo, hi, bos ? bosId : null), b * n);
  const r = m.model.forward(null, ids, INDUCTION_BATCH, n, { capture: { attention: true } });
  const layers = r.layers.map((l, i) => {
    if (!l.attention) throw new Error(`the model kept no attention weights for layer ${i}`);
    return l.attention;
  });
  const s = repeatedTokenScores(layers, INDUCTION_BATCH, cfg.nHeads, n, half, { bos, strict: true });
  // loss[t]: −log p(token t + 1 | tokens ≤ t), averaged over the batch.
  const V = cfg.vocabSize;
  const loss = new Float64Array(n).fill(NaN);
  for (let t = 0; t + 1 < n; t++) {
    let sum = 0;
    for (let b = 0; b < INDUCTION_BATCH; b++) sum -= logProbOfRow(r.logits.data, (b * n + t) * V, V, ids[b * n + t + 1]!);
    loss[t] = sum / INDUCTION_BATCH;
  }
  let firstSum = 0;
  for (let t = first; t < first + half - 1; t++) firstSum += loss[t]!;
  return {
    ...place,
    layers: cfg.nLayers,
    heads: cfg.nHeads,
    half,
    batch: INDUCTION_BATCH,
    bos,
    ids,
    induction: Float32Array.from(s.induction),
    duplicate: Float32Array.from(s.duplicate),
    previousToken: Float32Array.from(s.previousToken),
    lossFirstHalf: firstSum / (half - 1),
    lossSecondHalf: secondHalfLoss(loss, half, bos),
  };
}
