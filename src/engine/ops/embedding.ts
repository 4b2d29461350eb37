/**
 * Table lookup: ids[...] → table[id, :]. Backward scatters rows of the gradient back into
 * the table (repeated ids accumulate).
 */

import { widenHalf } from '../half';
import { Tape, output } from '../autograd';
import { floats } from '../buffers';
import { ShapeError, Tensor } from '../tensor';
import { addAt } from '../elements';

export class TokenIdError extends RangeError {
  constructor(id: number, position: number, vocabSize: number) {
    super(`token id ${id} at position ${position} is outside the vocabulary [0, ${vocabSize})`);
    this.name = 'TokenIdError';
  }
}

/** table[V, C], ids of shape idsShape → [...idsShape, C]. */
export function embedding(tape: Tape | null, table: Tensor, ids: Int32Array, idsShape: readonly number[]): Tensor {
  if (table.shape.length !== 2) throw new ShapeError(`embedding table must be [V, C], got [${table.shape.join(', ')}]`);
  const [v, c] = table.shape as [number, number];
  const n = ids.length;
  const out = floats(n * c);
  const tracked = Tape.needsGrad(tape, table);
  // A 16-bit table (half.ts) is widened row by row, unless its gradient needs it as float32.
  const half = tracked ? null : table.half;
  const td = half ? null : table.data;
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    if (id < 0 || id >= v) throw new TokenIdError(id, i, v);
    if (half) widenHalf(half, out, id * c, c, i * c);
    else out.set(td!.subarray(id * c, id * c + c), i * c);
  }
  const y = output(out, [...idsShape, c], tracked);
  if (tracked) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      const dt = table.ensureGrad();
      for (let i = 0; i < n; i++) {
        const row = ids[i]! * c;
        const o = i * c;
        for (let j = 0; j < c; j++) addAt(dt, row + j, dy[o + j]!);
      }
    });
  }
  return y;
}
