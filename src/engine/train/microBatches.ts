/**
 * A step's batch cut into micro-batches, so that one long step (a large --batch) can be stopped
 * part-way: the trainer yields between micro-batches and checks its cancellation flag there.
 * Gradients of the parts are summed into accumulators outside the step's buffer pool, each part
 * weighted by its share of the batch's counted tokens, which gives the gradient of the batch's
 * mean loss (up to float rounding: the sum's order differs from one whole-batch backward).
 *
 * Batches that fit one micro-batch are not cut at all, so the presets' default runs keep the
 * exact numbers they always had. The cut depends only on the batch size and the window, so a
 * resumed run cuts its steps the same way and stays bit-identical to a straight one.
 */

import { addAt } from '../elements';
import type { Tensor } from '../tensor';
import type { Batch } from './data';

/** Tokens per micro-batch: about a default step of `small` (16 × 128 = 2,048) twice over. */
export const MICRO_BATCH_TOKENS = 4096;

/** Windows of length T per micro-batch (at least one). */
export function microBatchWindows(T: number, tokens = MICRO_BATCH_TOKENS): number {
  return Math.max(1, Math.floor(tokens / Math.max(1, T)));
}

/** Windows [from, to) of a batch, as a batch of its own (views, no copies). */
export function sliceBatch(b: Batch, from: number, to: number): Batch {
  const T = b.T;
  return { inputs: b.inputs.subarray(from * T, to * T), targets: b.targets.subarray(from * T, to * T), B: to - from, T };
}

/** Targets that count in the loss (ids ≥ 0). */
export function countedTargets(b: Batch): number {
  let n = 0;
  for (let i = 0; i < b.targets.length; i++) if (b.targets[i]! >= 0) n++;
  return n;
}

/** Summed parameter gradients across the micro-batches of one step. */
export class GradientAccumulator {
  private readonly sums: Float32Array[];
  private readonly touched: boolean[];

  constructor(private readonly params: readonly Tensor[]) {
    this.sums = params.map((p) => new Float32Array(p.data.length));
    this.touched = params.map(() => false);
  }

  /** Starts a step: every sum back to zero. */
  reset(): void {
    this.sums.forEach((s, i) => {
      if (this.touched[i]) s.fill(0);
      this.touched[i] = false;
    });
  }

  /** Adds the parameters' current gradients (a micro-batch's, already weighted). */
  add(): void {
    this.params.forEach((p, i) => {
      const g = p.grad;
      if (!g) return;
      const s = this.sums[i]!;
      for (let j = 0; j < g.length; j++) addAt(s, j, g[j]!);
      this.touched[i] = true;
    });
  }

  /** Puts the sums in the parameters' gradients (allocated where there is a sum). */
  apply(): void {
    this.params.forEach((p, i) => {
      if (this.touched[i]) p.ensureGrad().set(this.sums[i]!);
    });
  }
}
