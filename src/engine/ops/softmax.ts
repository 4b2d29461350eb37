/**
 * Softmax over the last axis, optionally with a causal mask: for a stack of square [T, T]
 * score matrices, row t (the query) only sees columns 0..t (the keys before it). Masked
 * entries come out exactly 0, as every reference implementation writes them.
 */

import { Tape, output } from '../autograd';
import { floats } from '../buffers';
import { softmaxRow } from '../kernels/jsRows';
import { ShapeError, Tensor } from '../tensor';
import { addAt } from '../elements';

export { softmaxRow };

export function softmax(tape: Tape | null, x: Tensor, options: { causal?: boolean } = {}): Tensor {
  const n = x.lastDim;
  const causal = options.causal ?? false;
  const rowsPerMatrix = causal ? (x.shape[x.shape.length - 2] ?? 0) : 1;
  if (causal && rowsPerMatrix !== n) {
    throw new ShapeError(`causal softmax needs square [.., T, T] scores, got [${x.shape.join(', ')}]`);
  }
  const rows = x.size / n;
  const xd = x.data;
  const out = floats(x.size);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    const visible = causal ? (r % rowsPerMatrix) + 1 : n;
    softmaxRow(xd, out, o, visible);
  }
  const tracked = Tape.needsGrad(tape, x);
  const y = output(out, x.shape, tracked);
  if (tracked) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      const dx = x.ensureGrad();
      for (let r = 0; r < rows; r++) {
        const o = r * n;
        const visible = causal ? (r % rowsPerMatrix) + 1 : n;
        let dot = 0;
        for (let j = 0; j < visible; j++) dot += out[o + j]! * dy[o + j]!;
        for (let j = 0; j < visible; j++) addAt(dx, o + j, out[o + j]! * (dy[o + j]! - dot));
      }
    });
  }
  return y;
}
