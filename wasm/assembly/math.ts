/**
 * Vectorised transcendental functions for the point-wise kernels: exp (Cephes' expf
 * polynomial after range reduction by ln 2, within 1e-7 relative of Math.exp) and tanh (a
 * rational approximation, below). NaN propagates; exp underflows to 0 below −87 (float32 would still hold 1.2–1.6e-38
 * there, but clamping any lower makes the final scaling produce subnormals, which cost x86 a
 * ~150-cycle microcode assist each: 7× slower softmax on peaked attention), and
 * overflows to +Inf above 88 (a little early: float32 reaches e^88.72; the callers take exp of
 * x ≤ 0, of 2x for tanh, which is ±1 long before, or of −x for SiLU, which is 0 there).
 *
 * The polynomial uses madd (fused in the relaxed-SIMD build). Written for V8's x64 code generation: pmin/pmax (one instruction each; NaN still
 * propagates with the operands in this order) and rounding by adding 1.5·2²³, which also
 * leaves the integer in the low mantissa bits, instead of floor + trunc_sat (which V8 expands
 * into long sequences).
 */

import { madd } from './simd';

const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const EXP_HI: f32 = 88.0;
const EXP_LO: f32 = -87.0; // a little above ln of the smallest normal float (−87.34)
const ROUND: f32 = 12582912.0; // 1.5·2²³: x + ROUND rounds x to an integer held in the low bits
const ROUND_BITS: i32 = 0x4b400000;

/** e^x, four lanes. */
// @ts-ignore: decorator
@inline export function exp4(x: v128): v128 {
  const lo = f32x4.splat(EXP_LO), hi = f32x4.splat(EXP_HI);
  const under = f32x4.lt(x, lo);
  const over = f32x4.gt(x, hi);
  x = f32x4.pmin(f32x4.pmax(x, lo), hi); // pmax(x, c) = x < c ? c : x keeps NaN
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(ROUND));
  const fx = f32x4.sub(t, f32x4.splat(ROUND)); // round(x·log2 e), in [−126, 127]
  x = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(LN2_HI)));
  x = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(LN2_LO)));
  const z = f32x4.mul(x, x);
  let y = f32x4.splat(1.9875691500e-4);
  y = madd(y, x, f32x4.splat(1.3981999507e-3));
  y = madd(y, x, f32x4.splat(8.3334519073e-3));
  y = madd(y, x, f32x4.splat(4.1665795894e-2));
  y = madd(y, x, f32x4.splat(1.6666665459e-1));
  y = madd(y, x, f32x4.splat(5.0000001201e-1));
  y = f32x4.add(madd(y, z, x), f32x4.splat(1));
  // 2^fx from the integer in t's low bits, moved into the exponent field.
  const pow2 = i32x4.shl(i32x4.add(t, i32x4.splat(127 - ROUND_BITS)), 23);
  return v128.bitselect(f32x4.splat(Infinity), v128.andnot(f32x4.mul(y, pow2), under), over);
}

/** e^x for one value, through the same polynomial (so tails of rows match their bodies). */
// @ts-ignore: decorator
@inline export function exp1(x: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(x)), 0);
}

/**
 * tanh(x) as the rational function Eigen uses for float (odd degree-13 over even degree-6
 * polynomials in x, a few ulp from the true value) on |x| < 7.9, and exactly ±1 beyond (the
 * true value is within 3e-7 of it there; exact saturation keeps GELU's 1 + tanh exactly 0
 * for very negative inputs, as in double precision). About half the work of going through
 * exp; NaN propagates and ±Inf gives ±1.
 */
// @ts-ignore: decorator
@inline export function tanh4(x: v128): v128 {
  const lim = f32x4.splat(7.90531110763549805);
  const sat = f32x4.ge(f32x4.abs(x), lim);
  const one = v128.or(f32x4.splat(1), v128.and(x, f32x4.splat(-0.0))); // ±1 with x's sign
  x = f32x4.pmin(f32x4.pmax(x, f32x4.neg(lim)), lim);
  const x2 = f32x4.mul(x, x);
  let p = f32x4.splat(-2.76076847742355e-16);
  p = madd(p, x2, f32x4.splat(2.00018790482477e-13));
  p = madd(p, x2, f32x4.splat(-8.60467152213735e-11));
  p = madd(p, x2, f32x4.splat(5.12229709037114e-08));
  p = madd(p, x2, f32x4.splat(1.48572235717979e-05));
  p = madd(p, x2, f32x4.splat(6.37261928875436e-04));
  p = madd(p, x2, f32x4.splat(4.89352455891786e-03));
  p = f32x4.mul(p, x);
  let q = f32x4.splat(1.19825839466702e-06);
  q = madd(q, x2, f32x4.splat(1.18534705686654e-04));
  q = madd(q, x2, f32x4.splat(2.26843463243900e-03));
  q = madd(q, x2, f32x4.splat(4.89352518554385e-03));
  return v128.bitselect(one, f32x4.div(p, q), sat);
}
