/**
 * Point-wise non-linearities: GELU (the tanh approximation GPT-2 calls gelu_new) and
 * SiLU (the gate of Llama's SwiGLU MLP).
 */

import { Tape, output } from '../autograd';
import { backend } from '../kernels/backend';
import { Tensor } from '../tensor';

/** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) */
export function gelu(tape: Tape | null, x: Tensor): Tensor {
  const n = x.size;
  const xd = x.data;
  const out = new Float32Array(n);
  backend().geluForward(xd, out, n);
  const tracked = Tape.needsGrad(tape, x);
  const y = output(out, x.shape, tracked);
  if (tracked) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      backend().geluBackward(xd, dy, x.ensureGrad(), n);
    });
  }
  return y;
}

/** x·σ(x) */
export function silu(tape: Tape | null, x: Tensor): Tensor {
  const n = x.size;
  const xd = x.data;
  const out = new Float32Array(n);
  backend().siluForward(xd, out, n);
  const tracked = Tape.needsGrad(tape, x);
  const y = output(out, x.shape, tracked);
  if (tracked) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      backend().siluBackward(xd, dy, x.ensureGrad(), n);
    });
  }
  return y;
}
