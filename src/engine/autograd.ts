/**
 * Reverse-mode autodiff as a tape of coarse ops (in the spirit of llm.c): each op computes
 * its forward result directly and, when a tape is recording, pushes a closure that knows
 * how to push gradients back to its inputs. backward() replays the closures in reverse.
 *
 * Ops take the tape as their first argument; passing `null` runs inference with no
 * bookkeeping at all, which is how attention is computed for the editor.
 */

import { Tensor } from './tensor';

export type Backward = () => void;

export class Tape {
  private steps: Backward[] = [];

  /** Whether op `inputs` need a backward step (any input is trainable or derived from one). */
  static needsGrad(tape: Tape | null, ...inputs: (Tensor | null | undefined)[]): tape is Tape {
    if (tape === null) return false;
    for (const t of inputs) if (t && t.requiresGrad) return true;
    return false;
  }

  record(step: Backward): void {
    this.steps.push(step);
  }

  get length(): number {
    return this.steps.length;
  }

  /**
   * Back-propagates from a scalar loss: seeds d(loss)/d(loss) = 1 and runs every recorded
   * step in reverse. Gradients accumulate into `.grad` (callers zero parameter grads first).
   */
  backward(loss: Tensor): void {
    if (loss.size !== 1) throw new Error(`backward() needs a scalar loss, got shape [${loss.shape.join(', ')}]`);
    loss.ensureGrad()[0] = 1;
    for (let i = this.steps.length - 1; i >= 0; i--) this.steps[i]!();
    this.steps = [];
  }

  /**
   * Back-propagates a given upstream gradient dy = d(something)/d(y) from a non-scalar
   * tensor; used by gradient checks, where the "loss" is a random projection of y.
   */
  backwardFrom(y: Tensor, dy: Float32Array): void {
    if (dy.length !== y.size) throw new Error(`backwardFrom: gradient has ${dy.length} elements, tensor has ${y.size}`);
    y.ensureGrad().set(dy);
    for (let i = this.steps.length - 1; i >= 0; i--) this.steps[i]!();
    this.steps = [];
  }

  /** Drops the recorded steps without running them (e.g. after an evaluation pass). */
  clear(): void {
    this.steps = [];
  }
}

/** Result tensor of an op: trainable if the tape will differentiate through it. */
export function output(data: Float32Array, shape: readonly number[], tracked: boolean): Tensor {
  return new Tensor(data, shape, tracked);
}
