/**
 * Multi-head causal self-attention, fused, exactly as the tutorial teaches it:
 *
 *   scores[t, j] = q_t · k_j / √hs        for keys j ≤ t (the causal mask)
 *   weights[t]   = softmax(scores[t])      ("soft attention")
 *   out_t        = Σ_j weights[t, j] · v_j
 *
 * per head, with grouped-query attention (several query heads share one key/value head)
 * and an optional "hard attention" mode whose forward uses the one-hot argmax of the
 * weights and whose backward is straight-through the softmax.
 *
 * The post-softmax weights are the product: they are returned when asked for. During
 * inference without that request only one row of scores exists at a time, so asking
 * nothing costs nothing.
 *
 * Keys may outnumber queries (Tk ≥ Tq): with a key/value cache the queries are the last
 * Tq positions of Tk, and query t sees keys 0 .. t + (Tk − Tq).
 */

import { Tape, output } from '../autograd';
import { ShapeError, Tensor } from '../tensor';
import { softmaxRow } from './softmax';

export type AttentionMode = 'soft' | 'hard';

export interface AttentionOptions {
  readonly nHeads: number;
  /** Key/value heads; query head h reads kv head floor(h / (nHeads / nKvHeads)). */
  readonly nKvHeads: number;
  readonly mode?: AttentionMode;
  /** Return the weights the forward used, [B, H, Tq, Tk] (row = query, column = key). */
  readonly keepWeights?: boolean;
  /** Return the raw scores q·k/√hs before the softmax, [B, H, Tq, Tk] (masked entries −∞). */
  readonly keepScores?: boolean;
}

export interface AttentionResult {
  /** [B, T, H·hs] */
  readonly out: Tensor;
  readonly weights: Float32Array | null;
  readonly scores: Float32Array | null;
}

/** q [B, Tq, H·hs], k and v [B, Tk, Hkv·hs] → out [B, Tq, H·hs]. */
export function causalSelfAttention(tape: Tape | null, q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions): AttentionResult {
  const { nHeads: H, nKvHeads: Hkv } = options;
  const hard = options.mode === 'hard';
  if (q.shape.length !== 3) throw new ShapeError(`attention q must be [B, T, C], got [${q.shape.join(', ')}]`);
  const [B, T, C] = q.shape as [number, number, number]; // T = Tq
  if (H <= 0 || C % H !== 0) throw new ShapeError(`attention: ${C} channels do not split into ${H} heads`);
  if (Hkv <= 0 || H % Hkv !== 0) throw new ShapeError(`attention: ${H} query heads do not group onto ${Hkv} kv heads`);
  const hs = C / H;
  const Ckv = Hkv * hs;
  const Tk = k.shape[1] ?? 0;
  if (Tk < T) throw new ShapeError(`attention has ${T} queries but only ${Tk} keys`);
  for (const [t, name] of [[k, 'k'], [v, 'v']] as const) {
    if (t.shape.length !== 3 || t.shape[0] !== B || t.shape[1] !== Tk || t.shape[2] !== Ckv) {
      throw new ShapeError(`attention ${name} must be [${B}, ${Tk}, ${Ckv}], got [${t.shape.join(', ')}]`);
    }
  }
  const past = Tk - T; // cached positions before the first query
  const group = H / Hkv;
  const scale = 1 / Math.sqrt(hs);
  const tracked = Tape.needsGrad(tape, q, k, v);
  const qd = q.data, kd = k.data, vd = v.data;
  const out = new Float32Array(B * T * C);
  // Soft probabilities are kept whole when the backward needs them or the caller asked.
  const probs = tracked || (options.keepWeights && !hard) ? new Float32Array(B * H * T * Tk) : null;
  const scores = options.keepScores ? new Float32Array(B * H * T * Tk).fill(-Infinity) : null;
  const hardIdx = hard ? new Int32Array(B * H * T) : null;
  const rowScores = new Float32Array(Tk);
  const rowProbs = new Float32Array(Tk);

  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / group);
      const bh = b * H + h;
      for (let t = 0; t < T; t++) {
        const qo = (b * T + t) * C + h * hs;
        for (let j = 0; j <= t + past; j++) {
          const ko = (b * Tk + j) * Ckv + g * hs;
          let s = 0;
          for (let d = 0; d < hs; d++) s += qd[qo + d]! * kd[ko + d]!;
          rowScores[j] = s * scale;
        }
        if (scores) scores.set(rowScores.subarray(0, t + past + 1), (bh * T + t) * Tk);
        const p = probs ? probs.subarray((bh * T + t) * Tk, (bh * T + t + 1) * Tk) : rowProbs;
        softmaxRow(rowScores, p, 0, t + past + 1);
        const oo = (b * T + t) * C + h * hs;
        if (hardIdx) {
          let arg = 0;
          for (let j = 1; j <= t + past; j++) if (p[j]! > p[arg]!) arg = j;
          hardIdx[bh * T + t] = arg;
          const vo = (b * Tk + arg) * Ckv + g * hs;
          for (let d = 0; d < hs; d++) out[oo + d] = vd[vo + d]!;
        } else {
          for (let j = 0; j <= t + past; j++) {
            const w = p[j]!;
            const vo = (b * Tk + j) * Ckv + g * hs;
            for (let d = 0; d < hs; d++) out[oo + d] += w * vd[vo + d]!;
          }
        }
      }
    }
  }

  let weights: Float32Array | null = null;
  if (options.keepWeights) {
    if (hardIdx) {
      weights = new Float32Array(B * H * T * Tk);
      for (let r = 0; r < B * H * T; r++) weights[r * Tk + hardIdx[r]!] = 1;
    } else {
      weights = probs;
    }
  }

  const y = output(out, [B, T, C], tracked);
  if (tracked) {
    const P = probs!;
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      const dq = q.requiresGrad ? q.ensureGrad() : null;
      const dk = k.requiresGrad ? k.ensureGrad() : null;
      const dv = v.requiresGrad ? v.ensureGrad() : null;
      const dP = new Float32Array(Tk);
      for (let b = 0; b < B; b++) {
        for (let h = 0; h < H; h++) {
          const g = Math.floor(h / group);
          const bh = b * H + h;
          for (let t = 0; t < T; t++) {
            const oo = (b * T + t) * C + h * hs;
            const po = (bh * T + t) * Tk;
            const used = hardIdx ? hardIdx[bh * T + t]! : -1;
            // dWeights[j] = dOut_t · v_j; dv_j gets the weight the forward actually used.
            let dot = 0;
            for (let j = 0; j <= t + past; j++) {
              const vo = (b * Tk + j) * Ckv + g * hs;
              let s = 0;
              for (let d = 0; d < hs; d++) s += dy[oo + d]! * vd[vo + d]!;
              dP[j] = s;
              dot += P[po + j]! * s;
              const w = hardIdx ? (j === used ? 1 : 0) : P[po + j]!;
              if (dv && w !== 0) for (let d = 0; d < hs; d++) dv[vo + d] += w * dy[oo + d]!;
            }
            // Softmax backward (straight-through for hard attention), then into q and k.
            const qo = (b * T + t) * C + h * hs;
            for (let j = 0; j <= t + past; j++) {
              const ds = P[po + j]! * (dP[j]! - dot) * scale;
              if (ds === 0) continue;
              const ko = (b * Tk + j) * Ckv + g * hs;
              if (dq) for (let d = 0; d < hs; d++) dq[qo + d] += ds * kd[ko + d]!;
              if (dk) for (let d = 0; d < hs; d++) dk[ko + d] += ds * qd[qo + d]!;
            }
          }
        }
      }
    });
  }
  return { out: y, weights, scores };
}
