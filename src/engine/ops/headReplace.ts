/**
 * Head ablation as an op: in the concatenated per-head attention outputs [B, T, H·hs]
 * (Σ_j α_ij·v_j of every head, before the output projection), the slices of chosen heads
 * are replaced by a constant vector — zeros ("zero ablation") or that head's mean output
 * ("mean ablation"). Other heads pass through unchanged.
 *
 * Backward: a replaced slice is a constant, so no gradient flows through it; everything
 * else is the identity.
 */

import { Tape, output } from '../autograd';
import { floats } from '../buffers';
import { ShapeError, Tensor } from '../tensor';

export interface HeadReplacement {
  readonly head: number;
  /** The head's new output at every position, [hs]; null means zeros. */
  readonly value: Float32Array | null;
}

/** x [B, T, H·hs] → the same with each listed head's slice replaced at every position. */
export function replaceHeads(tape: Tape | null, x: Tensor, nHeads: number, replacements: readonly HeadReplacement[]): Tensor {
  const C = x.lastDim;
  if (nHeads <= 0 || C % nHeads !== 0) throw new ShapeError(`replaceHeads: ${C} channels do not split into ${nHeads} heads`);
  const hs = C / nHeads;
  for (const r of replacements) {
    if (!Number.isInteger(r.head) || r.head < 0 || r.head >= nHeads) throw new RangeError(`replaceHeads: head ${r.head} is outside [0, ${nHeads})`);
    if (r.value && r.value.length !== hs) throw new ShapeError(`replaceHeads: head ${r.head}'s value has ${r.value.length} entries, the head size is ${hs}`);
  }
  const rows = x.size / C;
  const out = floats(x.size);
  out.set(x.data);
  for (let t = 0; t < rows; t++) {
    for (const r of replacements) {
      const o = t * C + r.head * hs;
      if (r.value) out.set(r.value, o);
      else out.fill(0, o, o + hs);
    }
  }
  const tracked = Tape.needsGrad(tape, x);
  const y = output(out, x.shape, tracked);
  if (tracked) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      const dx = x.ensureGrad();
      const kept = new Uint8Array(nHeads).fill(1);
      for (const r of replacements) kept[r.head] = 0;
      for (let t = 0; t < rows; t++) {
        for (let h = 0; h < nHeads; h++) {
          if (!kept[h]) continue;
          const o = t * C + h * hs;
          for (let i = o; i < o + hs; i++) dx[i] = (dx[i] ?? 0) + (dy[i] ?? 0);
        }
      }
    });
  }
  return y;
}
