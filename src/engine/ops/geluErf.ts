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

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * erf(x) to ~1e-15: the Maclaurin series for |x| < 3 (its largest term is e^(x²) < 1e4 times the
 * result, so float64 keeps ≥ 11 digits), else 1 − erfc(x) from erfc's continued fraction, which
 * converges fast there.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 3) {
    // erf(x) = 2/√π · Σ (−1)ⁿ x^(2n+1) / (n! (2n+1))
    const x2 = x * x;
    let term = x; // (−1)ⁿ x^(2n+1) / n!
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * sum;
  }
  if (ax > 6) return Math.sign(x); // erfc(6) ≈ 2e-17
  // erfc(a) = e^(−a²)/√π · 1/(a + ½/(a + 1/(a + (3/2)/(a + 2/(a + …))))), evaluated bottom-up.
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
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
