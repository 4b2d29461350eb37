/**
 * The load-time check that weights are finite (src/engine/checkpoint/finite.ts) on weights that
 * lie in this module's memory: four float32 per SIMD compare, with no JIT warm-up, which a JS
 * loop over a model's millions of weights pays at every start.
 */

/** A float32 is NaN or ±Inf exactly when all eight of its exponent bits are set. */
const EXPONENT: i32 = 0x7f800000;

/** Index of the first NaN or ±Inf among the n float32 at p, or -1. */
export function firstNonFinite(p: usize, n: i32): i32 {
  const mask = i32x4.splat(EXPONENT);
  const n16 = n & ~15;
  let i = 0;
  // Sixteen values per step; a block with a bad value is searched one by one below.
  for (; i < n16; i += 16) {
    const o = p + (<usize>i << 2);
    const a = i32x4.eq(v128.and(v128.load(o), mask), mask);
    const b = i32x4.eq(v128.and(v128.load(o, 16), mask), mask);
    const c = i32x4.eq(v128.and(v128.load(o, 32), mask), mask);
    const d = i32x4.eq(v128.and(v128.load(o, 48), mask), mask);
    if (v128.any_true(v128.or(v128.or(a, b), v128.or(c, d)))) break;
  }
  for (; i < n; i++) if ((load<i32>(p + (<usize>i << 2)) & EXPONENT) == EXPONENT) return i;
  return -1;
}
