/**
 * AdamW (Loshchilov & Hutter): Adam with weight decay decoupled from the gradient.
 * Decay applies to matrices only (linear weights and embeddings), never to biases or norm
 * scales, as GPT-2/nanoGPT do. The moments are plain Float32Arrays so checkpoints can store
 * them as tensors and a resumed run continues bit for bit.
 */

import { backend } from '../kernels/activeBackend';
import type { Tensor } from '../tensor';

export interface AdamWOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
}

export const DEFAULT_ADAMW: AdamWOptions = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };

export interface AdamWState {
  /** Number of updates applied so far (for bias correction). */
  readonly t: number;
  readonly m: readonly Float32Array[];
  readonly v: readonly Float32Array[];
}

export class AdamW {
  readonly options: AdamWOptions;
  private readonly params: readonly Tensor[];
  private readonly decay: readonly boolean[];
  private m: Float32Array[];
  private v: Float32Array[];
  private t = 0;

  constructor(params: readonly Tensor[], options: AdamWOptions = DEFAULT_ADAMW) {
    this.params = params;
    this.options = options;
    this.decay = params.map((p) => p.shape.length >= 2);
    this.m = params.map((p) => new Float32Array(p.size));
    this.v = params.map((p) => new Float32Array(p.size));
  }

  get stepCount(): number {
    return this.t;
  }

  /** One update with learning rate lr from the gradients currently in `.grad`. */
  step(lr: number): void {
    this.t++;
    const { beta1, beta2, eps, weightDecay } = this.options;
    const c1 = 1 - Math.pow(beta1, this.t);
    const c2 = 1 - Math.pow(beta2, this.t);
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i]!;
      const g = p.grad;
      if (!g) continue;
      const w = p.data,
        m = this.m[i]!,
        v = this.v[i]!;
      const wd = this.decay[i] ? weightDecay : 0;
      backend().adamwStep(w, g, m, v, w.length, { lr, beta1, beta2, eps, weightDecay: wd, c1, c2 });
    }
  }

  getState(): AdamWState {
    return { t: this.t, m: this.m, v: this.v };
  }

  setState(state: AdamWState): void {
    if (state.m.length !== this.params.length || state.v.length !== this.params.length) {
      throw new RangeError(`optimizer state has ${state.m.length} moment tensors, the model has ${this.params.length} parameters`);
    }
    state.m.forEach((m, i) => {
      if (m.length !== this.params[i]!.size || state.v[i]!.length !== m.length)
        throw new RangeError(`optimizer moment ${i} has ${m.length} values, parameter has ${this.params[i]!.size}`);
    });
    this.t = state.t;
    this.m = state.m.map((a) => Float32Array.from(a));
    this.v = state.v.map((a) => Float32Array.from(a));
  }
}
