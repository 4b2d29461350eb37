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
 * With `causal: false` the mask is dropped: every query sees every key (BERT-style encoders).
 *
 * Keys may outnumber queries (Tk ≥ Tq): with a key/value cache the queries are the last
 * Tq positions of Tk, and query t sees keys 0 .. t + (Tk − Tq).
 */

import { Tape, output } from '../autograd';
import { floatsToOverwrite } from '../buffers';
import { backend } from '../kernels/activeBackend';
import { ShapeError, Tensor } from '../tensor';

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
  /** false: no causal mask, every query sees every key (bidirectional encoders). Default true. */
  readonly causal?: boolean;
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
  for (const [t, name] of [
    [k, 'k'],
    [v, 'v'],
  ] as const) {
    if (t.shape.length !== 3 || t.shape[0] !== B || t.shape[1] !== Tk || t.shape[2] !== Ckv) {
      throw new ShapeError(`attention ${name} must be [${B}, ${Tk}, ${Ckv}], got [${t.shape.join(', ')}]`);
    }
  }
  const tracked = Tape.needsGrad(tape, q, k, v);
  const dims = { B, T, Tk, H, Hkv, hs, causal: options.causal !== false };
  // The kernels write every value of out and of the weights (zeros above the causal diagonal).
  const out = floatsToOverwrite(B * T * C);
  // Soft probabilities are kept whole when the backward needs them or the caller asked; what the
  // caller keeps (weights, scores) is never from a buffer pool, which takes its arrays back.
  const probs = options.keepWeights && !hard ? new Float32Array(B * H * T * Tk) : tracked ? floatsToOverwrite(B * H * T * Tk) : null;
  const scores = options.keepScores ? new Float32Array(B * H * T * Tk).fill(-Infinity) : null;
  const hardIdx = hard ? new Int32Array(B * H * T) : null;
  backend().attentionForward(q.data, k.data, v.data, dims, out, probs, scores, hardIdx);

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
      backend().attentionBackward(q.data, k.data, v.data, dims, P, hardIdx, dy, dq, dk, dv);
    });
  }
  return { out: y, weights, scores };
}
