/**
 * Point-wise non-linearities: GELU (the tanh approximation GPT-2 calls gelu_new) and
 * SiLU (the gate of Llama's SwiGLU MLP).
 */

import { Tape, output } from '../autograd';
import { Tensor } from '../tensor';

const GELU_C = Math.sqrt(2 / Math.PI);

/** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) */
export function gelu(tape: Tape | null, x: Tensor): Tensor {
  const n = x.size;
  const xd = x.data;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = xd[i]!;
    out[i] = 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v * v * v)));
  }
  const tracked = Tape.needsGrad(tape, x);
  const y = output(out, x.shape, tracked);
  if (tracked) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      const dx = x.ensureGrad();
      for (let i = 0; i < n; i++) {
        const v = xd[i]!;
        const u = GELU_C * (v + 0.044715 * v * v * v);
        const th = Math.tanh(u);
        const du = GELU_C * (1 + 3 * 0.044715 * v * v);
        dx[i] += dy[i]! * (0.5 * (1 + th) + 0.5 * v * (1 - th * th) * du);
      }
    });
  }
  return y;
}

/** x·σ(x) */
export function silu(tape: Tape | null, x: Tensor): Tensor {
  const n = x.size;
  const xd = x.data;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = xd[i]!;
    out[i] = v / (1 + Math.exp(-v));
  }
  const tracked = Tape.needsGrad(tape, x);
  const y = output(out, x.shape, tracked);
  if (tracked) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      const dx = x.ensureGrad();
      for (let i = 0; i < n; i++) {
        const v = xd[i]!;
        const s = 1 / (1 + Math.exp(-v));
        dx[i] += dy[i]! * s * (1 + v * (1 - s));
      }
    });
  }
  return y;
}
