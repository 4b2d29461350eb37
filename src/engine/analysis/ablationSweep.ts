/**
 * The head-ablation sweep: for one position I, how much each head alone matters to the
 * prediction of the token that actually follows — effects[l][h] = log p(token I+1) with
 * head (l, h) zeroed − log p(token I+1) unablated. Strongly negative = the model needs
 * that head here; positive = the head was pushing against the right answer.
 *
 * One forward pass per head, over tokens 0..I only (later tokens cannot change the
 * prediction at I), starting at the ablated head's block from the clean pass's residual
 * stream, with a buffer pool so the L·H passes reuse one pass's arrays.
 */

import { BufferPool, withBufferPool } from '../buffers';
import { requireLmHead } from '../models/config';
import type { Transformer } from '../nn/transformer';
import { checkPredictingPosition } from './positionError';
import { runPasses, type PassSteps } from './passes';
import { logProbOf } from './predictions';

export interface SweepResult {
  readonly position: number;
  /** The token at position + 1, whose probability is measured. */
  readonly target: number;
  /** log p(target) without ablation. */
  readonly logProb: number;
  readonly layers: number;
  readonly heads: number;
  /** [L·H] change of log p(target) with head (l, h) alone zeroed, at l·H + h. */
  readonly effects: Float64Array;
}

export function ablationSweep(model: Transformer, ids: Int32Array, position: number): SweepResult {
  return runPasses(ablationSweepSteps(model, ids, position));
}

/** The sweep one layer at a time: yields after each layer's heads (L·H passes in all). */
export function* ablationSweepSteps(model: Transformer, ids: Int32Array, position: number): PassSteps<SweepResult> {
  requireLmHead(model.config, 'the ablation sweep');
  checkPredictingPosition(position, ids.length);
  const { nLayers: L, nHeads: H, vocabSize: V } = model.config;
  const target = ids[position + 1]!;
  const T = position + 1;
  const prefix = ids.subarray(0, T);
  const pool = new BufferPool();
  // Blocks before the ablated one compute what the clean pass computed: start each ablated pass
  // from the clean residual stream before its layer. Only the last row's logits matter (and only
  // they are computed); the number is read out before the pool takes the arrays back.
  const clean = model.forward(null, prefix, 1, T, { capture: { hidden: true }, lastLogitsOnly: true });
  const logProb = logProbOf(clean.logits.data, 0, V, target);
  const effects = new Float64Array(L * H);
  for (let l = 0; l < L; l++) {
    const residual = clean.hidden[l];
    if (!residual) throw new Error(`ablation sweep: no residual stream before layer ${l}`);
    for (let h = 0; h < H; h++) {
      const options = { resumeAt: { layer: l, residual }, headReplacements: new Map([[l, [{ head: h, value: null }]]]), lastLogitsOnly: true };
      effects[l * H + h] = withBufferPool(pool, () => logProbOf(model.forward(null, prefix, 1, T, options).logits.data, 0, V, target)) - logProb;
    }
    yield { done: (l + 1) * H, total: L * H };
  }
  return { position, target, logProb, layers: L, heads: H, effects };
}
