/**
 * Point-wise non-linearities: GELU (the tanh approximation GPT-2 calls gelu_new) and
 * SiLU (the gate of Llama's SwiGLU MLP). Both are one backend kernel forward and one
 * backward, recorded the same way.
 */

import { Tape, output } from '../autograd';
import { floatsToOverwrite } from '../buffers';
import type { Backend } from '../kernels/backend';
import { backend } from '../kernels/activeBackend';
import { Tensor } from '../tensor';

type Forward = (b: Backend, x: Float32Array, y: Float32Array, n: number) => void;
type Backward = (b: Backend, x: Float32Array, dy: Float32Array, dx: Float32Array, n: number, store: boolean) => void;

/** y = f(x) element-wise, with dx += f′(x)·dy on the tape (stored when it is dx's first contribution). */
function pointwise(tape: Tape | null, x: Tensor, forward: Forward, backward: Backward): Tensor {
  const n = x.size;
  const xd = x.data;
  const out = floatsToOverwrite(n);
  forward(backend(), xd, out, n);
  const tracked = Tape.needsGrad(tape, x);
  const y = output(out, x.shape, tracked);
  if (tracked) {
    tape.record(() => {
      if (!y.grad) return;
      const { grad, first } = x.gradForContribution();
      backward(backend(), xd, y.grad, grad, n, first);
    });
  }
  return y;
}

/** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) */
export function gelu(tape: Tape | null, x: Tensor): Tensor {
  return pointwise(
    tape,
    x,
    (b, xs, y, n) => b.geluForward(xs, y, n),
    (b, xs, dy, dx, n, store) => b.geluBackward(xs, dy, dx, n, store),
  );
}

/** x·σ(x) */
export function silu(tape: Tape | null, x: Tensor): Tensor {
  return pointwise(
    tape,
    x,
    (b, xs, y, n) => b.siluForward(xs, y, n),
    (b, xs, dy, dx, n, store) => b.siluBackward(xs, dy, dx, n, store),
  );
}
