/**
 * LayerNorm and RMSNorm over the last axis, forward and backward (see ops/norm.ts for the
 * maths): the forwards keep each row's statistics (mean and 1/σ, or 1/rms) for the backward,
 * as the JS reference does.
 */

import { hsum } from './simd';

/** y = (x − mean)·rstd·w + b per row of c values; b may be 0 (no bias). */
export function layerNormForward(x: usize, w: usize, b: usize, y: usize, mean: usize, rstd: usize, rows: i32, c: i32, eps: f32): void {
  const rb = <usize>c << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rb, yr = y + <usize>r * rb;
    let j = 0;
    let acc = f32x4.splat(0);
    for (; j + 4 <= c; j += 4) acc = f32x4.add(acc, v128.load(xr + (<usize>j << 2)));
    let s = hsum(acc);
    for (; j < c; j++) s += load<f32>(xr + (<usize>j << 2));
    const m = s / <f32>c;
    const mv = f32x4.splat(m);
    acc = f32x4.splat(0);
    j = 0;
    for (; j + 4 <= c; j += 4) {
      const d = f32x4.sub(v128.load(xr + (<usize>j << 2)), mv);
      acc = f32x4.add(acc, f32x4.mul(d, d));
    }
    let vsum = hsum(acc);
    for (; j < c; j++) {
      const d = load<f32>(xr + (<usize>j << 2)) - m;
      vsum += d * d;
    }
    const rs = <f32>(1 / Math.sqrt(<f64>(vsum / <f32>c) + <f64>eps));
    store<f32>(mean + (<usize>r << 2), m);
    store<f32>(rstd + (<usize>r << 2), rs);
    const rv = f32x4.splat(rs);
    j = 0;
    for (; j + 4 <= c; j += 4) {
      const o = <usize>j << 2;
      let v = f32x4.mul(f32x4.mul(f32x4.sub(v128.load(xr + o), mv), rv), v128.load(w + o));
      if (b != 0) v = f32x4.add(v, v128.load(b + o));
      v128.store(yr + o, v);
    }
    for (; j < c; j++) {
      const o = <usize>j << 2;
      store<f32>(yr + o, (load<f32>(xr + o) - m) * rs * load<f32>(w + o) + (b != 0 ? load<f32>(b + o) : 0));
    }
  }
}

/**
 * With n = (x − mean)·rstd and g = dy·w: dx += rstd·(g − mean(g) − n·mean(g·n)),
 * dw += Σ dy·n, db += Σ dy (each skipped when its pointer is 0).
 */
export function layerNormBackward(x: usize, w: usize, mean: usize, rstd: usize, dy: usize, dx: usize, dw: usize, db: usize, rows: i32, c: i32): void {
  const rb = <usize>c << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rb, dyr = dy + <usize>r * rb;
    const m = load<f32>(mean + (<usize>r << 2)), rs = load<f32>(rstd + (<usize>r << 2));
    const mv = f32x4.splat(m), rv = f32x4.splat(rs);
    let ga = f32x4.splat(0), gna = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= c; j += 4) {
      const o = <usize>j << 2;
      const n = f32x4.mul(f32x4.sub(v128.load(xr + o), mv), rv);
      const d = v128.load(dyr + o);
      const g = f32x4.mul(d, v128.load(w + o));
      ga = f32x4.add(ga, g);
      gna = f32x4.add(gna, f32x4.mul(g, n));
      if (dw != 0) v128.store(dw + o, f32x4.add(v128.load(dw + o), f32x4.mul(d, n)));
      if (db != 0) v128.store(db + o, f32x4.add(v128.load(db + o), d));
    }
    let gMean = hsum(ga), gnMean = hsum(gna);
    for (; j < c; j++) {
      const o = <usize>j << 2;
      const n = (load<f32>(xr + o) - m) * rs;
      const d = load<f32>(dyr + o);
      const g = d * load<f32>(w + o);
      gMean += g;
      gnMean += g * n;
      if (dw != 0) store<f32>(dw + o, load<f32>(dw + o) + d * n);
      if (db != 0) store<f32>(db + o, load<f32>(db + o) + d);
    }
    gMean /= <f32>c;
    gnMean /= <f32>c;
    if (dx == 0) continue;
    const dxr = dx + <usize>r * rb;
    const gmv = f32x4.splat(gMean), gnv = f32x4.splat(gnMean);
    j = 0;
    for (; j + 4 <= c; j += 4) {
      const o = <usize>j << 2;
      const n = f32x4.mul(f32x4.sub(v128.load(xr + o), mv), rv);
      const g = f32x4.mul(v128.load(dyr + o), v128.load(w + o));
      const t = f32x4.mul(rv, f32x4.sub(f32x4.sub(g, gmv), f32x4.mul(n, gnv)));
      v128.store(dxr + o, f32x4.add(v128.load(dxr + o), t));
    }
    for (; j < c; j++) {
      const o = <usize>j << 2;
      const n = (load<f32>(xr + o) - m) * rs;
      store<f32>(dxr + o, load<f32>(dxr + o) + rs * (load<f32>(dyr + o) * load<f32>(w + o) - gMean - n * gnMean));
    }
  }
}

/** y = x·rrms·w per row, rrms = 1/√(mean(x²) + eps) kept per row. */
export function rmsNormForward(x: usize, w: usize, y: usize, rrms: usize, rows: i32, c: i32, eps: f32): void {
  const rb = <usize>c << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rb, yr = y + <usize>r * rb;
    let acc = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= c; j += 4) {
      const v = v128.load(xr + (<usize>j << 2));
      acc = f32x4.add(acc, f32x4.mul(v, v));
    }
    let ss = hsum(acc);
    for (; j < c; j++) {
      const v = load<f32>(xr + (<usize>j << 2));
      ss += v * v;
    }
    const rs = <f32>(1 / Math.sqrt(<f64>(ss / <f32>c) + <f64>eps));
    store<f32>(rrms + (<usize>r << 2), rs);
    const rv = f32x4.splat(rs);
    j = 0;
    for (; j + 4 <= c; j += 4) {
      const o = <usize>j << 2;
      v128.store(yr + o, f32x4.mul(f32x4.mul(v128.load(xr + o), rv), v128.load(w + o)));
    }
    for (; j < c; j++) {
      const o = <usize>j << 2;
      store<f32>(yr + o, load<f32>(xr + o) * rs * load<f32>(w + o));
    }
  }
}

/** dx += rs·g − x·rs³·mean(g·x) with g = dy·w; dw += Σ dy·x·rs (each skipped when 0). */
export function rmsNormBackward(x: usize, w: usize, rrms: usize, dy: usize, dx: usize, dw: usize, rows: i32, c: i32): void {
  const rb = <usize>c << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rb, dyr = dy + <usize>r * rb;
    const rs = load<f32>(rrms + (<usize>r << 2));
    const rv = f32x4.splat(rs);
    let acc = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= c; j += 4) {
      const o = <usize>j << 2;
      const xv = v128.load(xr + o), d = v128.load(dyr + o);
      acc = f32x4.add(acc, f32x4.mul(f32x4.mul(d, v128.load(w + o)), xv));
      if (dw != 0) v128.store(dw + o, f32x4.add(v128.load(dw + o), f32x4.mul(f32x4.mul(d, xv), rv)));
    }
    let gx = hsum(acc);
    for (; j < c; j++) {
      const o = <usize>j << 2;
      const xv = load<f32>(xr + o), d = load<f32>(dyr + o);
      gx += d * load<f32>(w + o) * xv;
      if (dw != 0) store<f32>(dw + o, load<f32>(dw + o) + d * xv * rs);
    }
    gx /= <f32>c;
    if (dx == 0) continue;
    const kk = rs * rs * rs * gx;
    const kv = f32x4.splat(kk);
    const dxr = dx + <usize>r * rb;
    j = 0;
    for (; j + 4 <= c; j += 4) {
      const o = <usize>j << 2;
      const t = f32x4.sub(f32x4.mul(rv, f32x4.mul(v128.load(dyr + o), v128.load(w + o))), f32x4.mul(v128.load(xr + o), kv));
      v128.store(dxr + o, f32x4.add(v128.load(dxr + o), t));
    }
    for (; j < c; j++) {
      const o = <usize>j << 2;
      store<f32>(dxr + o, load<f32>(dxr + o) + rs * load<f32>(dyr + o) * load<f32>(w + o) - load<f32>(xr + o) * kk);
    }
  }
}
