/**
 * Row-level reference routines shared by the JS backend and the ops (which keep using them
 * where a row at a time is all there is).
 */

import { mulAt } from '../elements';

/** out[o .. o+visible) = softmax(x[o .. o+visible)), the rest of the row stays 0. Max-subtracted. */
export function softmaxRow(x: Float32Array, out: Float32Array, o: number, visible: number): void {
  let max = -Infinity;
  for (let j = 0; j < visible; j++) if (x[o + j]! > max) max = x[o + j]!;
  let sum = 0;
  for (let j = 0; j < visible; j++) {
    const e = Math.exp(x[o + j]! - max);
    out[o + j] = e;
    sum += e;
  }
  const inv = 1 / sum;
  for (let j = 0; j < visible; j++) mulAt(out, o + j, inv);
}
