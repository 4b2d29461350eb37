/**
 * The one place the two builds differ: with relaxed SIMD the multiply-add is fused
 * (f32x4.relaxed_madd, an FMA on x86 with FMA3 and on ARM), otherwise it is a multiply
 * then an add. Both builds compile this same source; ASC_FEATURE_RELAXED_SIMD is a
 * compile-time constant, so the untaken branch is not emitted.
 */

/** c + a·b, lane-wise. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** The sum of the four lanes. */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  const s = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/** The largest of the four lanes, passing over NaN lanes like `x > max` does. */
// @ts-ignore: decorator
@inline export function hmax(v: v128): f32 {
  const s = f32x4.pmax(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  const t = f32x4.pmax(s, v128.shuffle<f32>(s, s, 1, 0, 3, 2));
  return f32x4.extract_lane(t, 0);
}
