/**
 * The AdamW update for one parameter tensor (see src/engine/optim/adamw.ts). Computed in
 * double precision exactly as the JS reference evaluates it (float32 loads widened, the same
 * operation order, the unrounded new moments used for the step, one rounding per store), so
 * both backends produce bit-identical weights and moments.
 */

/**
 * m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g·g; w ← w − lr·((m/c1)/(√(v/c2) + eps) + wd·w)
 * for n values; c1, c2 are the bias corrections 1 − β^t.
 */
export function adamwStep(w: usize, g: usize, m: usize, v: usize, n: i32, lr: f64, beta1: f64, beta2: f64, eps: f64, wd: f64, c1: f64, c2: f64): void {
  const b1 = f64x2.splat(beta1), b2 = f64x2.splat(beta2), ob1 = f64x2.splat(1 - beta1), ob2 = f64x2.splat(1 - beta2);
  const lrv = f64x2.splat(lr), epsv = f64x2.splat(eps), wdv = f64x2.splat(wd), c1v = f64x2.splat(c1), c2v = f64x2.splat(c2);
  let j = 0;
  for (; j + 2 <= n; j += 2) {
    const o = <usize>j << 2;
    const gj = f64x2.promote_low_f32x4(v128.load64_zero(g + o));
    const mj = f64x2.add(f64x2.mul(b1, f64x2.promote_low_f32x4(v128.load64_zero(m + o))), f64x2.mul(ob1, gj));
    const vj = f64x2.add(f64x2.mul(b2, f64x2.promote_low_f32x4(v128.load64_zero(v + o))), f64x2.mul(f64x2.mul(ob2, gj), gj));
    v128.store64_lane(m + o, f32x4.demote_f64x2_zero(mj), 0);
    v128.store64_lane(v + o, f32x4.demote_f64x2_zero(vj), 0);
    const wj = f64x2.promote_low_f32x4(v128.load64_zero(w + o));
    const upd = f64x2.add(f64x2.div(f64x2.div(mj, c1v), f64x2.add(f64x2.sqrt(f64x2.div(vj, c2v)), epsv)), f64x2.mul(wdv, wj));
    v128.store64_lane(w + o, f32x4.demote_f64x2_zero(f64x2.sub(wj, f64x2.mul(lrv, upd))), 0);
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const gj = <f64>load<f32>(g + o);
    const mj = beta1 * <f64>load<f32>(m + o) + (1 - beta1) * gj;
    const vj = beta2 * <f64>load<f32>(v + o) + (1 - beta2) * gj * gj;
    store<f32>(m + o, <f32>mj);
    store<f32>(v + o, <f32>vj);
    const wj = <f64>load<f32>(w + o);
    store<f32>(w + o, <f32>(wj - lr * ((mj / c1) / (Math.sqrt(vj / c2) + eps) + wd * wj)));
  }
}
