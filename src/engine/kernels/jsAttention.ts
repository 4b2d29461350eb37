/**
 * Reference self-attention kernels (plain JS), exactly the loops the tutorial teaches: per
 * query row, dot products with the visible keys, a softmax, a weighted sum of values; the
 * backward walks the same rows in reverse. Causal (query t sees keys ≤ t + past) unless
 * dims.causal is false, when every query sees all Tk keys (encoders). See ops/attention.ts
 * for the maths and the meaning of every buffer.
 */

import type { AttentionDims } from './backend';
import { softmaxRow } from './jsRows';
import { addAt } from '../elements';

export function attentionForwardJs(
  qd: Float32Array,
  kd: Float32Array,
  vd: Float32Array,
  dims: AttentionDims,
  out: Float32Array,
  probs: Float32Array | null,
  scores: Float32Array | null,
  hardIdx: Int32Array | null,
): void {
  const { B, T, Tk, H, Hkv, hs } = dims;
  const C = H * hs,
    Ckv = Hkv * hs;
  const past = Tk - T;
  const group = H / Hkv;
  const scale = 1 / Math.sqrt(hs);
  const rowScores = new Float32Array(Tk);
  const rowProbs = new Float32Array(Tk);
  // Every value of out and probs is written (they may hold anything): out is summed into from zero.
  out.fill(0, 0, B * T * C);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / group);
      const bh = b * H + h;
      for (let t = 0; t < T; t++) {
        const qo = (b * T + t) * C + h * hs;
        const vis = visible(dims, t, past);
        for (let j = 0; j < vis; j++) {
          const ko = (b * Tk + j) * Ckv + g * hs;
          let s = 0;
          for (let d = 0; d < hs; d++) s += qd[qo + d]! * kd[ko + d]!;
          rowScores[j] = s * scale;
        }
        if (scores) scores.set(rowScores.subarray(0, vis), (bh * T + t) * Tk);
        const p = probs ? probs.subarray((bh * T + t) * Tk, (bh * T + t + 1) * Tk) : rowProbs;
        softmaxRow(rowScores, p, 0, vis);
        p.fill(0, vis);
        const oo = (b * T + t) * C + h * hs;
        if (hardIdx) {
          let arg = 0;
          for (let j = 1; j < vis; j++) if (p[j]! > p[arg]!) arg = j;
          hardIdx[bh * T + t] = arg;
          const vo = (b * Tk + arg) * Ckv + g * hs;
          for (let d = 0; d < hs; d++) out[oo + d] = vd[vo + d]!;
        } else {
          for (let j = 0; j < vis; j++) {
            const w = p[j]!;
            const vo = (b * Tk + j) * Ckv + g * hs;
            for (let d = 0; d < hs; d++) addAt(out, oo + d, w * vd[vo + d]!);
          }
        }
      }
    }
  }
}

export function attentionBackwardJs(
  qd: Float32Array,
  kd: Float32Array,
  vd: Float32Array,
  dims: AttentionDims,
  P: Float32Array,
  hardIdx: Int32Array | null,
  dy: Float32Array,
  dq: Float32Array | null,
  dk: Float32Array | null,
  dv: Float32Array | null,
): void {
  const { B, T, Tk, H, Hkv, hs } = dims;
  const C = H * hs,
    Ckv = Hkv * hs;
  const past = Tk - T;
  const group = H / Hkv;
  const scale = 1 / Math.sqrt(hs);
  const dP = new Float32Array(Tk);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / group);
      const bh = b * H + h;
      for (let t = 0; t < T; t++) {
        const oo = (b * T + t) * C + h * hs;
        const po = (bh * T + t) * Tk;
        const used = hardIdx ? hardIdx[bh * T + t]! : -1;
        const vis = visible(dims, t, past);
        // dWeights[j] = dOut_t · v_j; dv_j gets the weight the forward actually used.
        let dot = 0;
        for (let j = 0; j < vis; j++) {
          const vo = (b * Tk + j) * Ckv + g * hs;
          let s = 0;
          for (let d = 0; d < hs; d++) s += dy[oo + d]! * vd[vo + d]!;
          dP[j] = s;
          dot += P[po + j]! * s;
          const w = hardIdx ? (j === used ? 1 : 0) : P[po + j]!;
          if (dv && w !== 0) for (let d = 0; d < hs; d++) addAt(dv, vo + d, w * dy[oo + d]!);
        }
        // Softmax backward (straight-through for hard attention), then into q and k.
        const qo = (b * T + t) * C + h * hs;
        for (let j = 0; j < vis; j++) {
          const ds = P[po + j]! * (dP[j]! - dot) * scale;
          if (ds === 0) continue;
          const ko = (b * Tk + j) * Ckv + g * hs;
          if (dq) for (let d = 0; d < hs; d++) addAt(dq, qo + d, ds * kd[ko + d]!);
          if (dk) for (let d = 0; d < hs; d++) addAt(dk, ko + d, ds * qd[qo + d]!);
        }
      }
    }
  }
}

/** How many keys query t sees: 0 … t + past when causal, all Tk otherwise. */
function visible(dims: AttentionDims, t: number, past: number): number {
  return dims.causal === false ? dims.Tk : t + past + 1;
}
