/**
 * Global gradient-norm clipping: if ‖g‖₂ over all parameters exceeds maxNorm, scale every
 * gradient by maxNorm/‖g‖. Returns the norm before clipping (a training metric, and the
 * first place a diverging run shows up as Infinity or NaN).
 */

import type { Tensor } from '../tensor';
import { mulAt } from '../elements';

export function clipGradNorm(params: readonly Tensor[], maxNorm: number): number {
  let ss = 0;
  for (const p of params) {
    const g = p.grad;
    if (!g) continue;
    for (let i = 0; i < g.length; i++) ss += g[i]! * g[i]!;
  }
  const norm = Math.sqrt(ss);
  if (maxNorm > 0 && Number.isFinite(norm) && norm > maxNorm) {
    const s = maxNorm / (norm + 1e-6);
    for (const p of params) {
      const g = p.grad;
      if (!g) continue;
      for (let i = 0; i < g.length; i++) mulAt(g, i, s);
    }
  }
  return norm;
}
