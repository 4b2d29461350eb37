import assert from 'node:assert/strict';
import { addAt } from '../../../../src/engine/elements';
import { Tape } from '../../../../src/engine/autograd';
import { scale } from '../../../../src/engine/ops/add';
import { causalSelfAttention } from '../../../../src/engine/ops/attention';
import { matmul } from '../../../../src/engine/ops/matmul';
import { softmax } from '../../../../src/engine/ops/softmax';
import { Rng } from '../../../../src/engine/random';
import { Tensor } from '../../../../src/engine/tensor';
import { assertClose, gradCheck, randomTensor } from '../../../helpers/gradCheck';

/** Slice head h of x [B, T, nh·hs] for batch b into a [T, hs] tensor. */
function head(x: Tensor, b: number, h: number, nh: number): Tensor {
  const [, T, C] = x.shape as [number, number, number];
  const hs = C / nh;
  const out = new Float32Array(T * hs);
  for (let t = 0; t < T; t++) out.set(x.data.subarray((b * T + t) * C + h * hs, (b * T + t) * C + (h + 1) * hs), t * hs);
  return new Tensor(out, [T, hs]);
}

describe('ops/attention (fused multi-head causal self-attention)', () => {
  it('matches a hand-computed two-token case', () => {
    // hs = 1: scores row 1 = [1·1, 1·2] → softmax [1/(1+e), e/(1+e)]
    const q = Tensor.from([1, 1], [1, 2, 1]);
    const k = Tensor.from([1, 2], [1, 2, 1]);
    const v = Tensor.from([10, 20], [1, 2, 1]);
    const r = causalSelfAttention(null, q, k, v, { nHeads: 1, nKvHeads: 1, keepWeights: true, keepScores: true });
    const e = Math.E;
    assertClose(r.out.data, [10, 10 / (1 + e) + (20 * e) / (1 + e)], 1e-5);
    assertClose(r.weights!, [1, 0, 1 / (1 + e), e / (1 + e)], 1e-6);
    assertClose(r.scores!.filter(Number.isFinite), [1, 1, 2], 1e-6);
    assert.equal(r.scores![1], -Infinity);
  });

  it('equals its composition from primitives: softmax(causal)(q·kᵀ/√hs)·v per head', () => {
    const rng = new Rng(31);
    const [B, T, H, hs] = [2, 5, 3, 4];
    const q = randomTensor(rng, [B, T, H * hs], 1, false);
    const k = randomTensor(rng, [B, T, H * hs], 1, false);
    const v = randomTensor(rng, [B, T, H * hs], 1, false);
    const fused = causalSelfAttention(null, q, k, v, { nHeads: H, nKvHeads: H, keepWeights: true });
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        const s = scale(null, matmul(null, head(q, b, h, H), head(k, b, h, H), { transB: true }), 1 / Math.sqrt(hs));
        const p = softmax(null, s.reshapedData([1, T, T]), { causal: true });
        const o = matmul(null, p.reshapedData([T, T]), head(v, b, h, H));
        assertClose(head(fused.out, b, h, H).data, o.data, 1e-5, `out b${b} h${h}`);
        assertClose(fused.weights!.subarray((b * H + h) * T * T, (b * H + h + 1) * T * T), p.data, 1e-6, `weights b${b} h${h}`);
      }
    }
  });

  it('without the causal mask (an encoder): softmax over every key, from primitives; rows see later keys', () => {
    const rng = new Rng(34);
    const [B, T, H, hs] = [2, 5, 2, 3];
    const q = randomTensor(rng, [B, T, H * hs], 1, false);
    const k = randomTensor(rng, [B, T, H * hs], 1, false);
    const v = randomTensor(rng, [B, T, H * hs], 1, false);
    const fused = causalSelfAttention(null, q, k, v, { nHeads: H, nKvHeads: H, keepWeights: true, keepScores: true, causal: false });
    assert.ok(fused.scores!.every(Number.isFinite), 'no masked scores');
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        const s = scale(null, matmul(null, head(q, b, h, H), head(k, b, h, H), { transB: true }), 1 / Math.sqrt(hs));
        const p = softmax(null, s.reshapedData([1, T, T]), { causal: false });
        const o = matmul(null, p.reshapedData([T, T]), head(v, b, h, H));
        assertClose(head(fused.out, b, h, H).data, o.data, 1e-5, `out b${b} h${h}`);
        assertClose(fused.weights!.subarray((b * H + h) * T * T, (b * H + h + 1) * T * T), p.data, 1e-6, `weights b${b} h${h}`);
      }
    }
    assert.ok(fused.weights![1]! > 0, 'query 0 attends to key 1');
  });

  it('bidirectional gradients (q, k, v; with GQA) match finite differences', () => {
    const rng = new Rng(35);
    const q = randomTensor(rng, [2, 4, 6]);
    const k = randomTensor(rng, [2, 4, 3]);
    const v = randomTensor(rng, [2, 4, 3]);
    gradCheck([q, k, v], (tape) => causalSelfAttention(tape, q, k, v, { nHeads: 2, nKvHeads: 1, causal: false }).out);
  });

  it('grouped-query attention equals full attention with each kv head repeated', () => {
    const rng = new Rng(32);
    const [B, T, H, Hkv, hs] = [1, 4, 4, 2, 2];
    const q = randomTensor(rng, [B, T, H * hs], 1, false);
    const k = randomTensor(rng, [B, T, Hkv * hs], 1, false);
    const v = randomTensor(rng, [B, T, Hkv * hs], 1, false);
    const repeat = (x: Tensor): Tensor => {
      const out = new Float32Array(B * T * H * hs);
      for (let t = 0; t < T; t++)
        for (let h = 0; h < H; h++)
          out.set(x.data.subarray(t * Hkv * hs + Math.floor(h / 2) * hs, t * Hkv * hs + (Math.floor(h / 2) + 1) * hs), t * H * hs + h * hs);
      return new Tensor(out, [B, T, H * hs]);
    };
    const gqa = causalSelfAttention(null, q, k, v, { nHeads: H, nKvHeads: Hkv });
    const full = causalSelfAttention(null, q, repeat(k), repeat(v), { nHeads: H, nKvHeads: H });
    assertClose(gqa.out.data, full.out.data, 1e-6);
  });

  it('soft attention gradients (q, k, v; with GQA) match finite differences', () => {
    const rng = new Rng(33);
    const q = randomTensor(rng, [2, 4, 6]);
    const k = randomTensor(rng, [2, 4, 3]);
    const v = randomTensor(rng, [2, 4, 3]);
    gradCheck([q, k, v], (tape) => causalSelfAttention(tape, q, k, v, { nHeads: 2, nKvHeads: 1 }).out);
  });

  it('hard attention: forward copies v at the argmax key; backward is straight-through the softmax', () => {
    const rng = new Rng(34);
    const [T, C] = [5, 4];
    const q = randomTensor(rng, [1, T, C], 2);
    const k = randomTensor(rng, [1, T, C], 2);
    const v = randomTensor(rng, [1, T, C]);
    const hard = causalSelfAttention(null, q, k, v, { nHeads: 1, nKvHeads: 1, mode: 'hard', keepWeights: true });
    const soft = causalSelfAttention(null, q, k, v, { nHeads: 1, nKvHeads: 1, keepWeights: true });
    for (let t = 0; t < T; t++) {
      const row = soft.weights!.subarray(t * T, t * T + t + 1);
      const arg = row.indexOf(Math.max(...row));
      assertClose(hard.out.data.subarray(t * C, t * C + C), v.data.subarray(arg * C, arg * C + C), 0, `row ${t}`);
      assert.equal(hard.weights![t * T + arg], 1);
      assert.equal(
        hard.weights!.subarray(t * T, t * T + T).reduce((a, b) => a + b, 0),
        1,
      );
    }
    // Straight-through: dq and dk are the soft attention's (dWeights = dOut·v either way);
    // dv receives dOut only at the key the forward used.
    const dy = randomTensor(rng, [1, T, C], 1, false).data;
    const grads = (mode: 'soft' | 'hard'): [Float32Array, Float32Array, Float32Array] => {
      for (const t of [q, k, v]) t.grad = null;
      const tape = new Tape();
      tape.backwardFrom(causalSelfAttention(tape, q, k, v, { nHeads: 1, nKvHeads: 1, mode }).out, dy);
      return [q.grad!, k.grad!, v.grad!];
    };
    const [hq, hk, hv] = grads('hard');
    const [sq, sk] = grads('soft');
    assertClose(hq, sq, 1e-6, 'dq');
    assertClose(hk, sk, 1e-6, 'dk');
    const expectedDv = new Float32Array(T * C);
    for (let t = 0; t < T; t++) {
      const arg = hard.weights!.subarray(t * T, t * T + T).indexOf(1);
      for (let d = 0; d < C; d++) addAt(expectedDv, arg * C + d, dy[t * C + d]!);
    }
    assertClose(hv, expectedDv, 1e-6, 'dv');
  });

  it('with more keys than queries (a key/value cache), the queries are the last positions', () => {
    const rng = new Rng(36);
    const [T, past, C] = [6, 4, 4];
    const q = randomTensor(rng, [1, T, C], 1, false);
    const k = randomTensor(rng, [1, T, C], 1, false);
    const v = randomTensor(rng, [1, T, C], 1, false);
    const full = causalSelfAttention(null, q, k, v, { nHeads: 2, nKvHeads: 2, keepWeights: true });
    const lastQ = new Tensor(q.data.slice(past * C), [1, T - past, C]);
    const cached = causalSelfAttention(null, lastQ, k, v, { nHeads: 2, nKvHeads: 2, keepWeights: true });
    assertClose(cached.out.data, full.out.data.subarray(past * C), 1e-6);
    for (let h = 0; h < 2; h++) {
      assertClose(
        cached.weights!.subarray(h * (T - past) * T, (h + 1) * (T - past) * T),
        full.weights!.subarray((h * T + past) * T, (h + 1) * T * T),
        1e-6,
        `head ${h}`,
      );
    }
    gradCheck(
      [lastQ, k, v].map((t) => {
        t.requiresGrad = true;
        return t;
      }),
      (tape) => causalSelfAttention(tape, lastQ, k, v, { nHeads: 2, nKvHeads: 2 }).out,
    );
  });

  it('keeps no T×T buffers during inference unless asked', () => {
    const rng = new Rng(35);
    const x = randomTensor(rng, [1, 3, 2], 1, false);
    const r = causalSelfAttention(null, x, x, x, { nHeads: 1, nKvHeads: 1 });
    assert.equal(r.weights, null);
    assert.equal(r.scores, null);
  });

  it('rejects mismatched shapes, naming them', () => {
    const a = Tensor.zeros([1, 3, 4]);
    assert.throws(() => causalSelfAttention(null, a, Tensor.zeros([1, 2, 4]), a, { nHeads: 2, nKvHeads: 2 }), /3 queries but only 2 keys/);
    assert.throws(() => causalSelfAttention(null, a, a, Tensor.zeros([1, 3, 2]), { nHeads: 2, nKvHeads: 2 }), /v must be \[1, 3, 4\], got \[1, 3, 2\]/);
    assert.throws(() => causalSelfAttention(null, a, a, a, { nHeads: 3, nKvHeads: 3 }), /do not split into 3 heads/);
  });
});
