/**
 * 16-bit floating-point weights (F16 and BF16, as Hugging Face checkpoints ship them) kept as
 * their bits: a Tensor loaded from such a file holds a HalfBits (tensor.ts) and widens to
 * float32 only when some code path reads `.data`. The kernels widen inside their loops
 * (wasm/assembly/decode.ts, half.ts; kernels/jsDecode.ts), so inference never holds a float32
 * copy. Here: the scalar widening every JS path uses, and the finite check on the bits.
 */

export type HalfDtype = 'f16' | 'bf16';

/** A tensor's values as 16-bit patterns, row-major like Tensor.data. */
export interface HalfBits {
  readonly dtype: HalfDtype;
  readonly bits: Uint16Array;
  /** What `bits` is a view of when that must stay reachable as long (a resident block, kernels/resident.ts). */
  readonly owner?: object;
}

let f16Lookup: Float32Array | null = null;

/** Every IEEE half value by bit pattern (built once, 256 KB): a lookup beats bit twiddling per element. */
export function f16Table(): Float32Array {
  if (f16Lookup === null) {
    f16Lookup = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const sign = h & 0x8000 ? -1 : 1;
      const e = (h >> 10) & 0x1f,
        f = h & 0x3ff;
      f16Lookup[h] = e === 0 ? sign * f * 2 ** -24 : e === 0x1f ? (f === 0 ? sign * Infinity : NaN) : sign * (1 + f / 1024) * 2 ** (e - 15);
    }
  }
  return f16Lookup;
}

/** Widens elements [from, from + n) of `h` into out[at …] (bf16: the top half of a float32's bits). */
export function widenHalf(h: HalfBits, out: Float32Array, from = 0, n = h.bits.length - from, at = 0): void {
  const src = h.bits;
  if (h.dtype === 'bf16') {
    const u = new Uint32Array(out.buffer, out.byteOffset, out.length);
    for (let i = 0; i < n; i++) u[at + i] = src[from + i]! << 16;
    return;
  }
  const table = f16Table();
  for (let i = 0; i < n; i++) out[at + i] = table[src[from + i]!]!;
}

/** A widened float32 copy of all of `h`. */
export function widenedCopy(h: HalfBits): Float32Array {
  const out = new Float32Array(h.bits.length);
  widenHalf(h, out);
  return out;
}

/** Index of the first NaN or ±Inf among the bits (all exponent bits set), or -1. */
export function firstNonFiniteHalf(h: HalfBits): number {
  const mask = h.dtype === 'bf16' ? 0x7f80 : 0x7c00;
  const b = h.bits;
  for (let i = 0; i < b.length; i++) if ((b[i]! & mask) === mask) return i;
  return -1;
}

/** What a model's parameters take in memory: bytes in all, and bytes by dtype (largest first). */
export interface WeightMemory {
  readonly bytes: number;
  readonly byDtype: readonly { readonly dtype: HalfDtype | 'f32'; readonly bytes: number }[];
}

/** Bytes the tensors' values take as held now (16-bit values count 2 bytes each, float32 4). */
export function weightMemory(tensors: Iterable<{ readonly half: HalfBits | null; readonly size: number }>): WeightMemory {
  const by = new Map<HalfDtype | 'f32', number>();
  for (const t of tensors) {
    const dtype = t.half ? t.half.dtype : 'f32';
    by.set(dtype, (by.get(dtype) ?? 0) + t.size * (t.half ? 2 : 4));
  }
  const byDtype = [...by].map(([dtype, bytes]) => ({ dtype, bytes })).sort((a, b) => b.bytes - a.bytes);
  return { bytes: byDtype.reduce((n, d) => n + d.bytes, 0), byDtype };
}
