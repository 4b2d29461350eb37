/**
 * Rotary position embeddings (RoPE), applied to q or k laid out [B, T, nHeads·hs].
 * Within each head, pairs of dimensions are rotated by an angle pos·θ^(−2m/hs).
 *
 * Two pairings exist in the wild and both are supported:
 * - 'interleaved': pairs (2m, 2m+1) — Meta's original and llama2.c;
 * - 'half': pairs (m, m + hs/2) — Hugging Face's rotate_half.
 * Rotation is orthogonal, so the backward is the rotation by −angle.
 */

import { Tape, output } from '../autograd';
import { floats } from '../buffers';
import { ShapeError, Tensor } from '../tensor';
import { addAt } from '../elements';

export type RopeStyle = 'interleaved' | 'half';

export interface RopeOptions {
  readonly nHeads: number;
  readonly theta: number;
  readonly style: RopeStyle;
  /** Position of the first time step (for windows that start later in a document). */
  readonly positionOffset?: number;
  /**
   * Rotate only each head's first `rotaryDims` dimensions, as if they were the whole head
   * (GPT-NeoX's rotary_pct: pairs and frequencies over rotaryDims); the rest pass through.
   */
  readonly rotaryDims?: number;
}

export function rope(tape: Tape | null, x: Tensor, options: RopeOptions): Tensor {
  if (x.shape.length !== 3) throw new ShapeError(`rope input must be [B, T, C], got [${x.shape.join(', ')}]`);
  const [B, T, C] = x.shape as [number, number, number];
  const hs = C / options.nHeads;
  if (!Number.isInteger(hs) || hs % 2 !== 0)
    throw new ShapeError(`rope: head size ${hs} (from ${C} channels / ${options.nHeads} heads) must be an even integer`);
  const rd = options.rotaryDims ?? hs;
  if (!Number.isInteger(rd) || rd % 2 !== 0 || rd < 2 || rd > hs) throw new ShapeError(`rope: ${rd} rotary dimensions must be an even integer in [2, ${hs}]`);
  const half = rd / 2;
  const offset = options.positionOffset ?? 0;
  // Angles computed in float64 once per (position, pair), as the reference code does.
  const cos = floats(T * half);
  const sin = floats(T * half);
  for (let t = 0; t < T; t++) {
    for (let m = 0; m < half; m++) {
      const freq = 1 / Math.pow(options.theta, (2 * m) / rd);
      const angle = (t + offset) * freq;
      cos[t * half + m] = Math.cos(angle);
      sin[t * half + m] = Math.sin(angle);
    }
  }
  const interleaved = options.style === 'interleaved';
  const rotate = (src: Float32Array, dst: Float32Array, sign: number, accumulate: boolean): void => {
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const row = (b * T + t) * C;
        for (let h = 0; h < options.nHeads; h++) {
          const base = row + h * hs;
          for (let m = 0; m < half; m++) {
            const i0 = interleaved ? base + 2 * m : base + m;
            const i1 = interleaved ? i0 + 1 : i0 + half;
            const c = cos[t * half + m]!,
              s = sign * sin[t * half + m]!;
            const a = src[i0]!,
              e = src[i1]!;
            const r0 = a * c - e * s;
            const r1 = a * s + e * c;
            if (accumulate) {
              addAt(dst, i0, r0);
              addAt(dst, i1, r1);
            } else {
              dst[i0] = r0;
              dst[i1] = r1;
            }
          }
        }
      }
    }
  };
  const out = floats(x.size);
  if (rd < hs) out.set(x.data); // the pass-through dimensions; the rotated ones are overwritten
  rotate(x.data, out, 1, false);
  const tracked = Tape.needsGrad(tape, x);
  const y = output(out, x.shape, tracked);
  if (tracked) {
    tape.record(() => {
      if (!y.grad) return;
      const dx = x.ensureGrad();
      rotate(y.grad, dx, -1, true);
      if (rd < hs) passThroughGrad(y.grad, dx, C, hs, rd);
    });
  }
  return y;
}

/** dx += dy on the dimensions RoPE leaves alone (each head's [rd, hs)). */
function passThroughGrad(dy: Float32Array, dx: Float32Array, C: number, hs: number, rd: number): void {
  for (let row = 0; row < dy.length; row += C) {
    for (let base = row; base < row + C; base += hs) {
      for (let d = rd; d < hs; d++) dx[base + d] = (dx[base + d] ?? 0) + (dy[base + d] ?? 0);
    }
  }
}
