/**
 * Fused softmax + cross-entropy over rows of logits (see src/engine/ops/crossEntropy.ts):
 * probabilities for the backward, −log p(target) per row, their sum, the count of rows with a
 * target and how many rows' argmax is their target. Targets are already validated by the
 * caller (−1 = ignored, else in [0, V)).
 */

import { exp4, exp1 } from './math';
import { hmax } from './simd';

/**
 * probs[rows, V] ← softmax(logits); perToken[r] ← −log probs[r, target] (NaN if ignored).
 * Returns Σ perToken over counted rows; stats[0] ← count, stats[1] ← correct.
 */
export function crossEntropyForward(logits: usize, targets: usize, probs: usize, perToken: usize, stats: usize, rows: i32, V: i32): f64 {
  const rb = <usize>V << 2;
  let total: f64 = 0;
  let count = 0, correct = 0;
  for (let r = 0; r < rows; r++) {
    const x = logits + <usize>r * rb, p = probs + <usize>r * rb;
    // max and the first index holding it (the reference's strict `>` scan)
    let j = 0;
    let mv = f32x4.splat(-Infinity);
    for (; j + 4 <= V; j += 4) mv = f32x4.pmax(mv, v128.load(x + (<usize>j << 2)));
    let m = hmax(mv);
    for (; j < V; j++) {
      const xv = load<f32>(x + (<usize>j << 2));
      if (xv > m) m = xv;
    }
    let arg = 0;
    while (arg < V - 1 && !(load<f32>(x + (<usize>arg << 2)) == m)) arg++;
    if (!(m > -Infinity)) arg = 0; // every logit NaN or −Inf: the reference keeps index 0
    const msplat = f32x4.splat(m);
    let s0 = f32x4.splat(0);
    j = 0;
    for (; j + 4 <= V; j += 4) {
      const e = exp4(f32x4.sub(v128.load(x + (<usize>j << 2)), msplat));
      v128.store(p + (<usize>j << 2), e);
      s0 = f32x4.add(s0, e);
    }
    let sum: f64 = <f64>f32x4.extract_lane(s0, 0) + <f64>f32x4.extract_lane(s0, 1) + <f64>f32x4.extract_lane(s0, 2) + <f64>f32x4.extract_lane(s0, 3);
    for (; j < V; j++) {
      const e = exp1(load<f32>(x + (<usize>j << 2)) - m);
      store<f32>(p + (<usize>j << 2), e);
      sum += <f64>e;
    }
    const inv = <f32>(1 / sum);
    const iv = f32x4.splat(inv);
    j = 0;
    for (; j + 4 <= V; j += 4) v128.store(p + (<usize>j << 2), f32x4.mul(v128.load(p + (<usize>j << 2)), iv));
    for (; j < V; j++) store<f32>(p + (<usize>j << 2), load<f32>(p + (<usize>j << 2)) * inv);
    const t = load<i32>(targets + (<usize>r << 2));
    if (t < 0) {
      store<f32>(perToken + (<usize>r << 2), NaN);
      continue;
    }
    const nll = Math.log(sum) + <f64>m - <f64>load<f32>(x + (<usize>t << 2));
    store<f32>(perToken + (<usize>r << 2), <f32>nll);
    total += nll;
    count++;
    if (arg == t) correct++;
  }
  store<i32>(stats, count);
  store<i32>(stats, correct, 4);
  return total;
}

/** dx[r] += g·probs[r], then dx[r, target] −= g, for rows with a target. */
export function crossEntropyBackward(probs: usize, targets: usize, dx: usize, rows: i32, V: i32, g: f32): void {
  const rb = <usize>V << 2;
  const gv = f32x4.splat(g);
  for (let r = 0; r < rows; r++) {
    const t = load<i32>(targets + (<usize>r << 2));
    if (t < 0) continue;
    const p = probs + <usize>r * rb, d = dx + <usize>r * rb;
    let j = 0;
    for (; j + 4 <= V; j += 4) {
      const o = <usize>j << 2;
      v128.store(d + o, f32x4.add(v128.load(d + o), f32x4.mul(gv, v128.load(p + o))));
    }
    for (; j < V; j++) {
      const o = <usize>j << 2;
      store<f32>(d + o, load<f32>(d + o) + g * load<f32>(p + o));
    }
    const o = <usize>t << 2;
    store<f32>(d + o, load<f32>(d + o) - g);
  }
}
