/**
 * Inverted dropout: in training, zero each element with probability p and scale the
 * survivors by 1/(1−p), so inference needs no rescaling. The mask comes from the model's
 * seeded Rng, so a run is reproducible.
 */

import { Tape, output } from '../autograd';
import { floats } from '../buffers';
import type { Rng } from '../random';
import { Tensor } from '../tensor';
import { addAt } from '../elements';

export function dropout(tape: Tape | null, x: Tensor, p: number, rng: Rng | null): Tensor {
  if (p <= 0 || rng === null) return x;
  if (p >= 1) throw new RangeError(`dropout probability must be below 1, got ${p}`);
  const n = x.size;
  const keep = 1 / (1 - p);
  const mask = floats(n);
  const out = floats(n);
  for (let i = 0; i < n; i++) {
    const m = rng.uniform() < p ? 0 : keep;
    mask[i] = m;
    out[i] = x.data[i]! * m;
  }
  const tracked = Tape.needsGrad(tape, x);
  const y = output(out, x.shape, tracked);
  if (tracked) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      const dx = x.ensureGrad();
      for (let i = 0; i < n; i++) addAt(dx, i, dy[i]! * mask[i]!);
    });
  }
  return y;
}
