/**
 * One head's q, k and v for the "why" view, cut out of what a forward pass captures
 * (LayerCapture q [T, H·hs], k and v [T, Hkv·hs] for batch 1). With grouped-query attention
 * head h reads key/value head ⌊h / (H / Hkv)⌋. The head's output for the query is the
 * weighted sum of the value rows, which is what the view checks against.
 */

import { addAt } from '../elements';

export interface HeadVectors {
  readonly headSize: number;
  /** [hs] the query token's query vector. */
  readonly q: Float32Array;
  /** [T, hs] every key vector the head compares it with. */
  readonly k: Float32Array;
  /** [T, hs] */
  readonly v: Float32Array;
}

export interface HeadShape {
  readonly tokens: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headSize: number;
}

export function headVectors(
  capture: { q: ArrayLike<number>; k: ArrayLike<number>; v: ArrayLike<number> },
  s: HeadShape,
  head: number,
  query: number,
): HeadVectors {
  const { tokens: T, heads: H, kvHeads: Hkv, headSize: hs } = s;
  if (!(Number.isInteger(head) && head >= 0 && head < H)) throw new RangeError(`head ${head} is outside 0..${H - 1}`);
  if (!(Number.isInteger(query) && query >= 0 && query < T)) throw new RangeError(`query ${query} is outside the ${T} tokens`);
  if (H % Hkv !== 0) throw new RangeError(`${H} heads cannot share ${Hkv} key/value heads`);
  if (capture.q.length !== T * H * hs || capture.k.length !== T * Hkv * hs || capture.v.length !== T * Hkv * hs) {
    throw new RangeError(
      `captured q/k/v have ${capture.q.length}/${capture.k.length}/${capture.v.length} values; ${T} tokens × ${H}(${Hkv}) heads × ${hs} need ${T * H * hs}/${T * Hkv * hs}`,
    );
  }
  const kvHead = Math.floor(head / (H / Hkv));
  const q = new Float32Array(hs);
  for (let d = 0; d < hs; d++) q[d] = capture.q[query * H * hs + head * hs + d]!;
  const k = new Float32Array(T * hs);
  const v = new Float32Array(T * hs);
  for (let t = 0; t < T; t++) {
    for (let d = 0; d < hs; d++) {
      k[t * hs + d] = capture.k[t * Hkv * hs + kvHead * hs + d]!;
      v[t * hs + d] = capture.v[t * Hkv * hs + kvHead * hs + d]!;
    }
  }
  return { headSize: hs, q, k, v };
}

/** Σ_t weights[t]·v[t] for v [T, hs]: the head's output for the query, before the output projection. */
export function headOutput(weights: ArrayLike<number>, v: ArrayLike<number>, headSize: number): Float32Array {
  const out = new Float32Array(headSize);
  for (let t = 0; t < weights.length; t++) {
    const w = weights[t]!;
    if (w !== 0) for (let d = 0; d < headSize; d++) addAt(out, d, w * v[t * headSize + d]!);
  }
  return out;
}
