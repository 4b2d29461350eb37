/**
 * The logit lens (nostalgebraist 2020): what the model would predict at one position if
 * it stopped after layer l — the residual stream after each whole layer read out through
 * the final norm and the unembedding. The row after the last layer is the model's own
 * prediction; early rows show where in depth the answer forms.
 */

import { requireLmHead } from '../models/config';
import type { Transformer } from '../nn/transformer';
import { Tensor } from '../tensor';
import { checkPosition } from './positionError';
import { logSoftmaxRow, topK } from './predictions';

export interface LogitLensResult {
  readonly position: number;
  readonly layers: number;
  readonly k: number;
  /** [L·k] row l = top-k token ids read out after layer l, descending. */
  readonly topIds: Int32Array;
  /** [L·k] their probabilities. */
  readonly topProbs: Float64Array;
  /** [L·V] log-probabilities of every token after each layer (row L−1 = the model's own). */
  readonly logProbs: Float64Array;
}

/** Forward over ids[0..position] (later tokens cannot change it) with the residual stream kept. */
export function logitLens(model: Transformer, ids: Int32Array, position: number, k: number): LogitLensResult {
  requireLmHead(model.config, 'the logit lens');
  checkPosition(position, ids.length);
  const { nLayers: L, dModel: C, vocabSize: V } = model.config;
  const T = position + 1;
  const r = model.forward(null, ids.subarray(0, T), 1, T, { capture: { hidden: true } });
  // hidden[0] is the embeddings; hidden[l + 1] is after layer l.
  const rows = new Float32Array(L * C);
  for (let l = 0; l < L; l++) {
    const h = r.hidden[l + 1];
    if (!h) throw new Error(`logit lens: the model kept no residual stream after layer ${l}`);
    rows.set(h.subarray(position * C, (position + 1) * C), l * C);
  }
  const logits = model.readout(null, new Tensor(rows, [L, C])).data;
  const kk = Math.max(1, Math.min(Math.floor(k), V));
  const topIds = new Int32Array(L * kk);
  const topProbs = new Float64Array(L * kk);
  const logProbs = new Float64Array(L * V);
  for (let l = 0; l < L; l++) {
    const row = logSoftmaxRow(logits, l * V, V, logProbs.subarray(l * V, (l + 1) * V));
    const top = topK(row, kk);
    topIds.set(top.ids, l * kk);
    topProbs.set(top.probs, l * kk);
  }
  return { position, layers: L, k: kk, topIds, topProbs, logProbs };
}
