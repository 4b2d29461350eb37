/**
 * Surprisal and next-token predictions over a text, from one forward pass: for every token
 * i, −ln p(token i | tokens before it) (undefined for the first, which nothing predicts),
 * and for every position i the model's top-k guesses for token i+1 with the rank and
 * probability it gave the token that actually came next.
 */

import { requireLmHead } from '../models/config';
import type { Transformer } from '../nn/transformer';
import { ShapeError } from '../tensor';
import { logSoftmaxRow, rankOf, topK } from './predictions';

export interface SurprisalResult {
  /** Tokens T. */
  readonly length: number;
  readonly k: number;
  /** [T] nats; index i is −ln p(ids[i] | ids[<i]); NaN at 0. */
  readonly surprisal: Float64Array;
  /** [T·k] row i = the k most likely tokens at position i+1, by descending probability. */
  readonly topIds: Int32Array;
  /** [T·k] their probabilities. */
  readonly topProbs: Float64Array;
  /** [T] 1-based rank of ids[i+1] in row i; 0 for the last row (no next token). */
  readonly nextRank: Int32Array;
  /** [T] p(ids[i+1]) in row i; NaN for the last row. */
  readonly nextProb: Float64Array;
}

/** One forward pass over `ids` (batch 1, at most the model's context) → surprisal and top-k. */
export function surprisalAndPredictions(model: Transformer, ids: Int32Array, k: number): SurprisalResult {
  requireLmHead(model.config, 'surprisal');
  const T = ids.length;
  if (T === 0) throw new ShapeError('surprisal: no tokens');
  const V = model.config.vocabSize;
  const kk = Math.max(1, Math.min(Math.floor(k), V));
  const { logits } = model.forward(null, ids, 1, T);
  const surprisal = new Float64Array(T).fill(NaN);
  const topIds = new Int32Array(T * kk);
  const topProbs = new Float64Array(T * kk);
  const nextRank = new Int32Array(T);
  const nextProb = new Float64Array(T).fill(NaN);
  const row = new Float64Array(V);
  for (let t = 0; t < T; t++) {
    logSoftmaxRow(logits.data, t * V, V, row);
    const top = topK(row, kk);
    topIds.set(top.ids, t * kk);
    topProbs.set(top.probs, t * kk);
    if (t + 1 < T) {
      const next = ids[t + 1]!;
      surprisal[t + 1] = -row[next]!;
      nextProb[t] = Math.exp(row[next]!);
      nextRank[t] = rankOf(row, next);
    }
  }
  return { length: T, k: kk, surprisal, topIds, topProbs, nextRank, nextProb };
}

/** Mean of surprisal[1..T−1] (index 0 is the undefined first token): the text's loss in nats; NaN for one token. */
export function meanSurprisal(surprisal: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 1; i < surprisal.length; i++) sum += surprisal[i]!;
  return surprisal.length > 1 ? sum / (surprisal.length - 1) : NaN;
}
