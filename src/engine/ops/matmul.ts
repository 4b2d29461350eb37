/**
 * Matrix products, forward and backward side by side.
 *
 * `matmul` is the general 2-D product with optional transposes; `linear` is the layer form
 * y = x·Wᵀ + b with PyTorch's weight layout W[out, in], applied to every row of x.
 * Their backward passes are themselves the three matmul shapes (A·B, A·Bᵀ, Aᵀ·B).
 */

import { Tape, output } from '../autograd';
import { floats, floatsToOverwrite } from '../buffers';
import { backend } from '../kernels/activeBackend';
import { ShapeError, Tensor } from '../tensor';

export interface MatmulOpOptions {
  readonly transA?: boolean;
  readonly transB?: boolean;
}

/** op(A)[M,K] · op(B)[K,N] → [M,N] for 2-D tensors. */
export function matmul(tape: Tape | null, a: Tensor, b: Tensor, options: MatmulOpOptions = {}): Tensor {
  if (a.shape.length !== 2 || b.shape.length !== 2) {
    throw new ShapeError(`matmul needs 2-D tensors, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  const [m, ka] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [kb, n] = transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (ka !== kb) {
    throw new ShapeError(
      `matmul inner dimensions differ: ${ka} (A${transA ? 'ᵀ' : ''} [${a.shape.join(', ')}]) vs ${kb} (B${transB ? 'ᵀ' : ''} [${b.shape.join(', ')}])`,
    );
  }
  const k = ka;
  const out = floats(m * n);
  backend().matmul(a.data, b.data, out, m, k, n, { transA, transB });
  const tracked = Tape.needsGrad(tape, a, b);
  const y = output(out, [m, n], tracked);
  if (tracked) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      const kern = backend();
      if (a.requiresGrad) {
        // dA = dY·op(B)ᵀ  (stored as [M,K]), or its transpose when A was read transposed.
        if (!transA) kern.matmul(dy, b.data, a.ensureGrad(), m, n, k, { transB: !transB, transA: false, accumulate: true });
        else kern.matmul(b.data, dy, a.ensureGrad(), k, n, m, { transA: transB, transB: true, accumulate: true });
      }
      if (b.requiresGrad) {
        // dB = op(A)ᵀ·dY  (stored as [K,N]), or its transpose when B was read transposed.
        if (!transB) kern.matmul(a.data, dy, b.ensureGrad(), k, m, n, { transA: !transA, accumulate: true });
        else kern.matmul(dy, a.data, b.ensureGrad(), n, m, k, { transA: true, transB: transA, accumulate: true });
      }
    });
  }
  return y;
}

/** y[..., out] = x[..., in] · W[out, in]ᵀ + bias[out]. */
export function linear(tape: Tape | null, x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  const inF = x.lastDim;
  if (weight.shape.length !== 2 || weight.shape[1] !== inF) {
    throw new ShapeError(`linear: input has ${inF} features but weight is [${weight.shape.join(', ')}] (expected [out, ${inF}])`);
  }
  const outF = weight.shape[0]!;
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== outF)) {
    throw new ShapeError(`linear: bias is [${bias.shape.join(', ')}], expected [${outF}]`);
  }
  const rows = x.size / inF;
  const out = floatsToOverwrite(rows * outF);
  const tracked = Tape.needsGrad(tape, x, weight, bias);
  // 16-bit weights (half.ts) are widened inside the kernel unless a backward needs them as float32.
  const half = tracked ? null : weight.half;
  if (half) backend().linearForwardHalf(x.data, half, bias ? bias.data : null, out, rows, inF, outF);
  else backend().linearForward(x.data, weight.data, bias ? bias.data : null, out, rows, inF, outF);
  const y = output(out, [...x.shape.slice(0, -1), outF], tracked);
  if (tracked) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      // The first contribution to dx or dW is stored, not added (no zeroing first).
      const gx = x.requiresGrad ? x.gradForContribution() : null;
      const gw = weight.requiresGrad ? weight.gradForContribution() : null;
      const db = bias && bias.requiresGrad ? bias.ensureGrad() : null;
      backend().linearBackward(x.data, weight.data, dy, gx?.grad ?? null, gw?.grad ?? null, db, rows, inF, outF, { dx: gx?.first, dw: gw?.first });
    });
  }
  return y;
}
