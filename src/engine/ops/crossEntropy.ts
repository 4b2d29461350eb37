/**
 * Fused softmax + cross-entropy: mean over positions of −log softmax(logits)[target].
 * Fusing keeps it numerically stable (log-sum-exp with the max subtracted) and makes the
 * backward a single subtraction: dlogits = (softmax − onehot) / count.
 */

import { Tape, output } from '../autograd';
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
  const ld = logits.data;
  const probs = new Float32Array(logits.size);
  const perToken = new Float32Array(rows);
  let total = 0;
  let count = 0;
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * v;
    const t = targets[r]!;
    let max = -Infinity;
    let arg = 0;
    for (let j = 0; j < v; j++) {
      if (ld[o + j]! > max) {
        max = ld[o + j]!;
        arg = j;
      }
    }
    let sum = 0;
    for (let j = 0; j < v; j++) {
      const e = Math.exp(ld[o + j]! - max);
      probs[o + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < v; j++) probs[o + j] *= inv;
    if (t === IGNORE_INDEX) {
      perToken[r] = NaN;
      continue;
    }
    if (t < 0 || t >= v) throw new RangeError(`crossEntropy: target ${t} at row ${r} is outside [0, ${v})`);
    const nll = Math.log(sum) + max - ld[o + t]!;
    perToken[r] = nll;
    total += nll;
    count++;
    if (arg === t) correct++;
  }
  const tracked = Tape.needsGrad(tape, logits);
  const loss = output(Float32Array.of(count > 0 ? total / count : 0), [], tracked);
  if (tracked && count > 0) {
    tape.record(() => {
      const dl = loss.grad;
      if (!dl) return;
      const g = dl[0]! / count;
      const dx = logits.ensureGrad();
      for (let r = 0; r < rows; r++) {
        const t = targets[r]!;
        if (t === IGNORE_INDEX) continue;
        const o = r * v;
        for (let j = 0; j < v; j++) dx[o + j] += g * probs[o + j]!;
        dx[o + t] -= g;
      }
    });
  }
  return { loss, perToken, correct, count };
}
