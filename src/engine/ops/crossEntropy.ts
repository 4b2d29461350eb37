/**
 * Fused softmax + cross-entropy: mean over positions of −log softmax(logits)[target].
 * Fusing keeps it numerically stable (log-sum-exp with the max subtracted) and makes the
 * backward a single subtraction: dlogits = (softmax − onehot) / count.
 */

import { Tape, output } from '../autograd';
import { floats } from '../buffers';
import { backend } from '../kernels/activeBackend';
import { ShapeError, Tensor } from '../tensor';

/** Target id that contributes nothing to the loss (padding). */
export const IGNORE_INDEX = -1;

export interface CrossEntropyResult {
  /** Scalar mean loss, differentiable. */
  readonly loss: Tensor;
  /** −log p(target) for every position (NaN where ignored): the per-token surprisal in nats. */
  readonly perToken: Float32Array;
  /** Positions whose argmax equals the target. */
  readonly correct: number;
  /** Positions counted (targets not ignored). */
  readonly count: number;
}

export function crossEntropy(tape: Tape | null, logits: Tensor, targets: Int32Array): CrossEntropyResult {
  const v = logits.lastDim;
  const rows = logits.size / v;
  if (targets.length !== rows) {
    throw new ShapeError(`crossEntropy: ${targets.length} targets for ${rows} rows of logits [${logits.shape.join(', ')}]`);
  }
  const probs = floats(logits.size);
  const perToken = floats(rows);
  const { total, count, correct } = backend().crossEntropyForward(logits.data, targets, rows, v, probs, perToken);
  const tracked = Tape.needsGrad(tape, logits);
  const loss = output(Float32Array.of(count > 0 ? total / count : 0), [], tracked);
  if (tracked && count > 0) {
    tape.record(() => {
      const dl = loss.grad;
      if (!dl) return;
      backend().crossEntropyBackward(probs, targets, rows, v, dl[0]! / count, logits.ensureGrad());
    });
  }
  return { loss, perToken, correct, count };
}
