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
type Backward = (b: Backend, x: Float32Array, dy: Float32Array, dx: Float32Array, n: number) => void;

/** y = f(x) element-wise, with dx += f′(x)·dy on the tape. */
function pointwise(tape: Tape | null, x: Tensor, forward: Forward, backward: Backward): Tensor {
  const n = x.size;
  const xd = x.data;
  const out = floatsToOverwrite(n);
  forward(backend(), xd, out, n);
  const tracked = Tape.needsGrad(tape, x);
  const y = output(out, x.shape, tracked);
  if (tracked) {
    tape.record(() => {
      if (y.grad) backward(backend(), xd, y.grad, x.ensureGrad(), n);
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
    (b, xs, dy, dx, n) => b.geluBackward(xs, dy, dx, n),
  );
}

/** x·σ(x) */
export function silu(tape: Tape | null, x: Tensor): Tensor {
  return pointwise(
    tape,
    x,
    (b, xs, y, n) => b.siluForward(xs, y, n),
    (b, xs, dy, dx, n) => b.siluBackward(xs, dy, dx, n),
  );
}
