/**
 * Surprisal, next-token predictions and the logit lens against independent numbers:
 * llama2.c's logits for stories260K (run.c), the tfjs reference's logits for a GPT-style
 * model, and — for the lens before the last layer — the logits of the model cut after that
 * layer (tfjs for GPT, a truncated engine model for Llama, whose forward never goes through
 * the residual capture or the readout the lens uses).
 */

import assert from 'node:assert/strict';
import { logitLens } from '../../../../src/engine/analysis/logitLens';
import { meanSurprisal, surprisalAndPredictions } from '../../../../src/engine/analysis/surprisal';
import { Transformer } from '../../../../src/engine/nn/transformer';
import { referenceForwardWithAttention, useTfjsBackend } from '../../../reference/tfjsTransformer';
import { perturbedModel, randomIds, reducedConfig, refLogSoftmax, storiesModel, storiesReference, weightsOf } from '../../../helpers/analysisModels';

describe('analysis: surprisal and next-token predictions', function () {
  this.timeout(60_000);
  before(async () => {
    await useTfjsBackend('cpu');
  });

  for (const name of ['lily_park', 'tom_dog_newline'] as const) {
    it(`stories260K (${name}): surprisal = −log softmax of llama2.c's logits, top-5 = llama2.c's`, function () {
      const model = storiesModel(this);
      const ref = storiesReference(this, name);
      const ids = Int32Array.from(ref.token_ids);
      const r = surprisalAndPredictions(model, ids, 5);
      assert.ok(Number.isNaN(r.surprisal[0]!), 'nothing predicts the first token');
      for (let i = 1; i < ref.T; i++) {
        const expected = -refLogSoftmax(ref.logits[i - 1]!, 0, 512)[ids[i]!]!;
        assert.ok(Math.abs(r.surprisal[i]! - expected) < 1e-3, `token ${i}: ${r.surprisal[i]} vs ${expected}`);
      }
      for (let t = 0; t < ref.T; t++) {
        assert.deepEqual(Array.from(r.topIds.subarray(t * 5, t * 5 + 5)), ref.top5_next_tokens[t], `row ${t}`);
        const lp = refLogSoftmax(ref.logits[t]!, 0, 512);
        const probs = Array.from(r.topProbs.subarray(t * 5, t * 5 + 5));
        probs.forEach((p, j) => assert.ok(Math.abs(p - Math.exp(lp[ref.top5_next_tokens[t]![j]!]!)) < 1e-4));
        if (t + 1 < ref.T) {
          const next = ids[t + 1]!;
          const rank = 1 + lp.filter((x, v) => x > lp[next]! || (x === lp[next]! && v < next)).length;
          assert.equal(r.nextRank[t], rank, `rank of the next token at ${t}`);
          assert.ok(Math.abs(r.nextProb[t]! - Math.exp(lp[next]!)) < 1e-4);
        } else {
          assert.equal(r.nextRank[t], 0);
          assert.ok(Number.isNaN(r.nextProb[t]!));
        }
      }
      const mean =
        Array.from(r.surprisal)
          .slice(1)
          .reduce((a, b) => a + b, 0) /
        (ref.T - 1);
      assert.ok(Math.abs(meanSurprisal(r.surprisal) - mean) < 1e-12);
    });
  }

  for (const preset of ['small', 'seed'] as const) {
    it(`${preset} preset (GPT-style): surprisal = −log softmax of the tfjs reference's logits`, () => {
      const config = reducedConfig(preset, 29);
      const model = perturbedModel(config, 5);
      const T = 20;
      const ids = randomIds(6, 29, T);
      const ref = referenceForwardWithAttention(config, weightsOf(model), ids, 1, T);
      const r = surprisalAndPredictions(model, ids, 3);
      for (let i = 1; i < T; i++) {
        const expected = -refLogSoftmax(ref.logits, (i - 1) * 29, 29)[ids[i]!]!;
        assert.ok(Math.abs(r.surprisal[i]! - expected) < 1e-4, `token ${i}: ${r.surprisal[i]} vs ${expected}`);
      }
      assert.ok(meanSurprisal(r.surprisal) > 1, 'a perturbed model is far from certain');
    });
  }
});

describe('analysis: logit lens', function () {
  this.timeout(60_000);
  before(async () => {
    await useTfjsBackend('cpu');
  });

  it("stories260K: the last layer's readout is llama2.c's logits; layer l's is the model cut after layer l", function () {
    const model = storiesModel(this);
    const ref = storiesReference(this, 'lily_park');
    const ids = Int32Array.from(ref.token_ids);
    const L = model.config.nLayers;
    for (const position of [0, 17, ref.T - 1]) {
      const lens = logitLens(model, ids, position, 5);
      assert.equal(lens.layers, L);
      const expected = refLogSoftmax(ref.logits[position]!, 0, 512);
      const last = lens.logProbs.subarray((L - 1) * 512, L * 512);
      expected.forEach((x, v) => assert.ok(Math.abs(last[v]! - x) < 1e-3, `position ${position} token ${v}: ${last[v]} vs ${x}`));
      assert.deepEqual(Array.from(lens.topIds.subarray((L - 1) * 5, L * 5)), ref.top5_next_tokens[position]);
      for (let l = 0; l < L - 1; l++) {
        const cut = new Transformer({ ...model.config, nLayers: l + 1 }, new Map(model.params));
        const T = position + 1;
        const logits = cut.forward(null, ids.subarray(0, T), 1, T).logits.data;
        const want = refLogSoftmax(logits, position * 512, 512);
        const got = lens.logProbs.subarray(l * 512, (l + 1) * 512);
        want.forEach((x, v) => assert.ok(Math.abs(got[v]! - x) < 1e-4, `layer ${l} position ${position} token ${v}: ${got[v]} vs ${x}`));
      }
    }
  });

  it("GPT-style (reduced small): every layer's readout equals the tfjs reference cut after that layer", () => {
    const config = { ...reducedConfig('small', 31), nLayers: 3 };
    const model = perturbedModel(config, 8);
    const T = 15;
    const ids = randomIds(9, 31, T);
    const position = 11;
    const lens = logitLens(model, ids, position, 4);
    for (let l = 0; l < 3; l++) {
      const cut = { ...config, nLayers: l + 1 };
      const w = new Map([...weightsOf(model)].filter(([n]) => !/^blocks\.(\d+)\./.test(n) || Number(/^blocks\.(\d+)\./.exec(n)![1]) <= l));
      const ref = referenceForwardWithAttention(cut, w, ids, 1, T);
      const want = refLogSoftmax(ref.logits, position * 31, 31);
      const got = lens.logProbs.subarray(l * 31, (l + 1) * 31);
      want.forEach((x, v) => assert.ok(Math.abs(got[v]! - x) < 1e-4, `layer ${l} token ${v}: ${got[v]} vs ${x}`));
      const order = want
        .map((x, v) => [x, v] as const)
        .sort((a, b) => b[0] - a[0] || a[1] - b[1])
        .slice(0, 4)
        .map(([, v]) => v);
      assert.deepEqual(Array.from(lens.topIds.subarray(l * 4, (l + 1) * 4)), order);
    }
  });

  it('refuses a position outside the text', () => {
    const model = perturbedModel(reducedConfig('seed', 7), 1);
    assert.throws(() => logitLens(model, randomIds(1, 7, 5), 5, 3), /position 5 is outside the text's 5 tokens \(0 to 4\)/);
    assert.throws(() => logitLens(model, randomIds(1, 7, 5), -1, 3), /position -1/);
  });
});
