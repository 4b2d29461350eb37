/**
 * Value-weighted attention on stories260K, computed here from its definition with
 * llama2.c's attention weights: α_ij · ‖W_O,h · v_j‖, v_j = W_V · rmsnorm(x_j) from the
 * residual stream before the layer (for grouped-query attention, query head h reads kv head
 * floor(h / 2)).
 */

import assert from 'node:assert/strict';
import { valueWeightedAttention } from '../../../../src/engine/analysis/valueWeighted';
import { storiesModel, storiesReference } from '../../../helpers/analysisModels';

describe('analysis: value-weighted attention', function () {
  this.timeout(60_000);

  it("stories260K: α_ij·‖W_O,h v_j‖ from llama2.c's α and values computed here", function () {
    const model = storiesModel(this);
    const ref = storiesReference(this, 'tom_dog_newline');
    const ids = Int32Array.from(ref.token_ids);
    const T = ids.length;
    const C = 64,
      H = 8,
      hs = 8,
      Ckv = 32;
    const r = valueWeightedAttention(model, ids);
    const hidden = model.forward(null, ids, 1, T, { capture: { hidden: true } }).hidden;
    let checked = 0;
    for (const l of [0, 3]) {
      const w = (n: string): Float32Array => model.params.get(`blocks.${l}.${n}`)!.data;
      const x = hidden[l]!;
      const norms: number[][] = Array.from({ length: H }, () => []);
      for (let j = 0; j < T; j++) {
        const row = Array.from(x.subarray(j * C, (j + 1) * C));
        const rms = Math.sqrt(row.reduce((s, a) => s + a * a, 0) / C + 1e-5);
        const xn = row.map((a, c) => (a / rms) * w('norm1.weight')[c]!);
        const v = Array.from({ length: Ckv }, (_, o) => xn.reduce((s, a, c) => s + w('attn.v.weight')[o * C + c]! * a, 0));
        for (let h = 0; h < H; h++) {
          const g = Math.floor(h / 2);
          let n2 = 0;
          for (let c = 0; c < C; c++) {
            let y = 0;
            for (let d = 0; d < hs; d++) y += w('attn.o.weight')[c * C + h * hs + d]! * v[g * hs + d]!;
            n2 += y * y;
          }
          norms[h]!.push(Math.sqrt(n2));
        }
      }
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < T; i++) {
          for (let j = 0; j < T; j++) {
            const want = ref.attention[l]![h]![i]![j]! * norms[h]![j]!;
            const got = r.weights[l]![(h * T + i) * T + j]!;
            assert.ok(Math.abs(got - want) <= 1e-4 + 1e-3 * Math.abs(want), `layer ${l} head ${h} [${i}][${j}]: ${got} vs ${want}`);
            checked++;
          }
        }
      }
    }
    assert.equal(checked, 2 * H * T * T);
  });
});
