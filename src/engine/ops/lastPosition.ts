/**
 * The last position of every sequence: x [B, T, C] → [B, 1, C]. Analyses that only need
 * the prediction at the end (attribution, the ablation sweep) read out that row alone, which
 * spares the unembedding of every other row — T·V·C multiply-adds, forward and backward,
 * the bulk of the work for a large vocabulary. Backward scatters into the last rows.
 */

import { Tape, output } from '../autograd';
import { floats } from '../buffers';
import { ShapeError, Tensor } from '../tensor';

export function lastPosition(tape: Tape | null, x: Tensor): Tensor {
  if (x.shape.length !== 3) throw new ShapeError(`lastPosition needs [B, T, C], got [${x.shape.join(', ')}]`);
  const [B, T, C] = x.shape as [number, number, number];
  const out = floats(B * C);
  for (let b = 0; b < B; b++) out.set(x.data.subarray(((b + 1) * T - 1) * C, (b + 1) * T * C), b * C);
  const tracked = Tape.needsGrad(tape, x);
  const y = output(out, [B, 1, C], tracked);
  if (tracked) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      const dx = x.ensureGrad();
      for (let b = 0; b < B; b++) {
        const o = ((b + 1) * T - 1) * C;
        for (let c = 0; c < C; c++) dx[o + c] = (dx[o + c] ?? 0) + (dy[b * C + c] ?? 0);
      }
    });
  }
  return y;
}
