/**
 * Value-weighted attention (Kobayashi et al. 2020, "Attention is Not Only a Weight"): an
 * attention weight says how much a query reads a key, not how much that key changes the
 * output. Weighting it by the size of what is read gives, per head h, query i and key j,
 *
 *   ‖α_ij · v_j · W_O,h‖ = α_ij · ‖W_O,h v_j‖,
 *
 * where v_j is key j's value vector of the head (bias included) and W_O,h the columns of
 * the output projection that read head h — the norm of the head's actual contribution to
 * the residual stream (the output projection's bias is shared by all heads and left out).
 * Rows no longer sum to 1; a key with a small transformed value counts little however much
 * it is attended.
 */

import type { Transformer } from '../nn/transformer';
import { ShapeError } from '../tensor';

export interface ValueWeightedResult {
  readonly layers: number;
  readonly heads: number;
  readonly tokens: number;
  /** Per layer [H·T·T]: head h, query i, key j at (h·T + i)·T + j (zero where α is: after the query, in a causal model). */
  readonly weights: Float32Array[];
  /** Per layer [H·T]: ‖W_O,h v_j‖ for head h, key j. */
  readonly valueNorms: Float32Array[];
}

export function valueWeightedAttention(model: Transformer, ids: Int32Array): ValueWeightedResult {
  const T = ids.length;
  if (T === 0) throw new ShapeError('value-weighted attention: no tokens');
  const { nLayers: L, nHeads: H, nKvHeads: Hkv, dModel: C } = model.config;
  const hs = model.headSize;
  const group = H / Hkv;
  const r = model.forward(null, ids, 1, T, { capture: { attention: true, qkv: true } });
  const weights: Float32Array[] = [];
  const valueNorms: Float32Array[] = [];
  const y = new Float64Array(C);
  for (let l = 0; l < L; l++) {
    const { attention: a, v } = r.layers[l] ?? {};
    const wo = model.params.get(`blocks.${l}.attn.o.weight`)?.data;
    if (!a || !v || !wo) throw new Error(`value-weighted attention: layer ${l} has no attention weights, values or output projection`);
    const norms = new Float32Array(H * T);
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / group);
      for (let j = 0; j < T; j++) {
        const vo = j * Hkv * hs + g * hs;
        y.fill(0);
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (let d = 0; d < hs; d++) s += wo[c * H * hs + h * hs + d]! * v[vo + d]!;
          y[c] = s;
        }
        let n2 = 0;
        for (let c = 0; c < C; c++) n2 += y[c]! * y[c]!;
        norms[h * T + j] = Math.sqrt(n2);
      }
    }
    const w = new Float32Array(H * T * T);
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        const o = (h * T + i) * T;
        // Every key: a causal model's weights after the query are 0, an encoder's are not.
        for (let j = 0; j < T; j++) w[o + j] = a[o + j]! * norms[h * T + j]!;
      }
    }
    weights.push(w);
    valueNorms.push(norms);
  }
  return { layers: L, heads: H, tokens: T, weights, valueNorms };
}
