/**
 * Normalisation over the last axis: LayerNorm (GPT-2) and RMSNorm (Llama). The forward
 * keeps the per-row statistics the backward needs (mean and 1/σ, or 1/rms).
 */

import { Tape, output } from '../autograd';
import { floatsToOverwrite } from '../buffers';
import { backend } from '../kernels/activeBackend';
import { ShapeError, Tensor } from '../tensor';

function checkParam(p: Tensor | null, c: number, what: string): void {
  if (p && (p.shape.length !== 1 || p.shape[0] !== c)) {
    throw new ShapeError(`${what} is [${p.shape.join(', ')}], expected [${c}]`);
  }
}

/** y = (x − mean) / sqrt(var + eps) · weight + bias, per row of the last axis. */
export function layerNorm(tape: Tape | null, x: Tensor, weight: Tensor, bias: Tensor | null, eps = 1e-5): Tensor {
  const c = x.lastDim;
  checkParam(weight, c, 'layerNorm weight');
  checkParam(bias, c, 'layerNorm bias');
  const rows = x.size / c;
  const xd = x.data,
    w = weight.data,
    b = bias ? bias.data : null;
  const out = floatsToOverwrite(x.size);
  const mean = floatsToOverwrite(rows);
  const rstd = floatsToOverwrite(rows);
  backend().layerNormForward(xd, w, b, out, mean, rstd, rows, c, eps);
  const tracked = Tape.needsGrad(tape, x, weight, bias);
  const y = output(out, x.shape, tracked);
  if (tracked) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      const dx = x.requiresGrad ? x.ensureGrad() : null;
      const dw = weight.requiresGrad ? weight.ensureGrad() : null;
      const db = bias && bias.requiresGrad ? bias.ensureGrad() : null;
      backend().layerNormBackward(xd, w, mean, rstd, dy, dx, dw, db, rows, c);
    });
  }
  return y;
}

/** y = x / sqrt(mean(x²) + eps) · weight, per row of the last axis. */
export function rmsNorm(tape: Tape | null, x: Tensor, weight: Tensor, eps = 1e-5): Tensor {
  const c = x.lastDim;
  checkParam(weight, c, 'rmsNorm weight');
  const rows = x.size / c;
  const xd = x.data,
    w = weight.data;
  const out = floatsToOverwrite(x.size);
  const rrms = floatsToOverwrite(rows);
  backend().rmsNormForward(xd, w, out, rrms, rows, c, eps);
  const tracked = Tape.needsGrad(tape, x, weight);
  const y = output(out, x.shape, tracked);
  if (tracked) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      const dx = x.requiresGrad ? x.ensureGrad() : null;
      const dw = weight.requiresGrad ? weight.ensureGrad() : null;
      backend().rmsNormBackward(xd, w, rrms, dy, dx, dw, rows, c);
    });
  }
  return y;
}
