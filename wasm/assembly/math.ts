/**
 * Vectorised transcendental functions for the point-wise kernels: exp (Cephes' expf
 * polynomial after range reduction by ln 2, ~2 ulp over the float range) and tanh built on
 * it. NaN propagates (f32x4.min/max keep NaN); exp underflows to 0 below −87.3 like Math.exp
 * in float32.
 */

const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const EXP_HI: f32 = 88.3762626647949;
const EXP_LO: f32 = -87.3365447504; // ln of the smallest normal float

/** e^x, four lanes. */
// @ts-ignore: decorator
@inline export function exp4(x: v128): v128 {
  const lo = f32x4.splat(EXP_LO);
  const under = f32x4.lt(x, lo);
  x = f32x4.min(f32x4.max(x, lo), f32x4.splat(EXP_HI));
  const fx = f32x4.floor(f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(0.5)));
  x = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(LN2_HI)));
  x = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(LN2_LO)));
  const z = f32x4.mul(x, x);
  let y = f32x4.splat(1.9875691500e-4);
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(1.3981999507e-3));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(8.3334519073e-3));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(4.1665795894e-2));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(1.6666665459e-1));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(5.0000001201e-1));
  y = f32x4.add(f32x4.add(f32x4.mul(y, z), x), f32x4.splat(1));
  // 2^fx, fx in [−126, 128): build the exponent bits (128 overflows to +Inf via two steps).
  const n = i32x4.trunc_sat_f32x4_s(fx);
  const half = i32x4.shr_s(n, 1);
  const p1 = i32x4.shl(i32x4.add(half, i32x4.splat(127)), 23);
  const p2 = i32x4.shl(i32x4.add(i32x4.sub(n, half), i32x4.splat(127)), 23);
  y = f32x4.mul(f32x4.mul(y, p1), p2);
  return v128.andnot(y, under);
}

/** e^x for one value, through the same polynomial (so tails of rows match their bodies). */
// @ts-ignore: decorator
@inline export function exp1(x: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(x)), 0);
}

/** tanh(x) = 1 − 2 / (e^{2x} + 1), saturating cleanly to ±1 (e^{2x} = +Inf gives 1). */
// @ts-ignore: decorator
@inline export function tanh4(x: v128): v128 {
  const e = exp4(f32x4.add(x, x));
  return f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(e, f32x4.splat(1))));
}
