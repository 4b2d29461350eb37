/**
 * The exact GELU, x·Φ(x) = ½·x·(1 + erf(x/√2)) — PyTorch's `gelu` / transformers' "gelu",
 * which BERT and GPT-NeoX use (GPT-2's tanh form is in activation.ts). It differs from the
 * tanh approximation by up to ~5e-4, enough to move logits past a 1e-4 tolerance, so the
 * families that need it get it exactly. Computed in float64 in plain JS: it runs once per
 * MLP activation, far from the hot matmuls.
 */

import { Tape, output } from '../autograd';
import { floats } from '../buffers';
import { Tensor } from '../tensor';

const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * erf(x) with absolute error below 1.2e-7 (Numerical Recipes' erfcc: a Chebyshev-fitted
 * t·exp(−x² + P(t)), t = 1/(1 + |x|/2), whose *relative* error in erfc is < 1.2e-7). That is
 * float32's own resolution, so GELU computed from it rounds like the exact one, and it costs
 * one exp — a series accurate to 1e-15 was 20× slower on BERT-sized activations.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -z * z -
    1.26551223 +
    t *
      (1.00002368 +
        t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(poly);
  return x >= 0 ? 1 - erfc : erfc - 1;
}

/** x·Φ(x), with dx += (Φ(x) + x·φ(x))·dy on the tape. */
export function geluErf(tape: Tape | null, x: Tensor): Tensor {
  const xd = x.data;
  const out = floats(x.size);
  for (let i = 0; i < out.length; i++) {
    const v = xd[i]!;
    out[i] = 0.5 * v * (1 + erf(v * INV_SQRT2));
  }
  const tracked = Tape.needsGrad(tape, x);
  const y = output(out, x.shape, tracked);
  if (tracked) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      const dx = x.ensureGrad();
      for (let i = 0; i < dx.length; i++) {
        const v = xd[i]!;
        const cdf = 0.5 * (1 + erf(v * INV_SQRT2));
        dx[i] = (dx[i] ?? 0) + (cdf + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v)) * (dy[i] ?? 0);
      }
    });
  }
  return y;
}
