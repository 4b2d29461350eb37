/**
 * Attribution against what it must satisfy, checked by other means: integrated gradients'
 * completeness (Σ attributions = f(E) − f(0) within 1 % at 64 steps) with f(E) and f(0)
 * from the tfjs reference (GPT-style; f(0) with the token-embedding table zeroed) or
 * llama2.c (stories260K); gradient × input against central finite differences of f along
 * each token's embedding (forward passes only, no backward).
 */

import assert from 'node:assert/strict';
import { gradientTimesInput, integratedGradients } from '../../../../src/engine/analysis/attribution';
import type { Transformer } from '../../../../src/engine/nn/transformer';
import { Tensor } from '../../../../src/engine/tensor';
import { referenceForwardWithAttention, useTfjsBackend } from '../../../reference/tfjsTransformer';
import { perturbedModel, randomIds, reducedConfig, refLogSoftmax, storiesModel, storiesReference, weightsOf } from '../../../helpers/analysisModels';

/** f = log p(target) at `position` with token embeddings E scaled per token by `scale`. */
function fScaled(model: Transformer, ids: Int32Array, position: number, target: number, scale: (t: number) => number): number {
  const T = position + 1;
  const C = model.config.dModel;
  const V = model.config.vocabSize;
  const table = model.params.get('tok_emb')!.data;
  const x = new Float32Array(T * C);
  for (let t = 0; t < T; t++) for (let d = 0; d < C; d++) x[t * C + d] = scale(t) * table[ids[t]! * C + d]!;
  const logits = model.forward(null, ids.subarray(0, T), 1, T, { tokenEmbeddings: new Tensor(x, [1, T, C]) }).logits.data;
  return refLogSoftmax(logits, position * V, V)[target]!;
}

function checkGradTimesInput(model: Transformer, ids: Int32Array, position: number): void {
  const g = gradientTimesInput(model, ids, position);
  assert.equal(g.attributions.length, position + 1);
  const eps = 1e-2;
  let worst = 0;
  for (let i = 0; i <= position; i++) {
    const up = fScaled(model, ids, position, g.target, (t) => (t === i ? 1 + eps : 1));
    const down = fScaled(model, ids, position, g.target, (t) => (t === i ? 1 - eps : 1));
    const fd = (up - down) / (2 * eps);
    const err = Math.abs(fd - g.attributions[i]!);
    worst = Math.max(worst, err);
    assert.ok(err <= 2e-3 + 1e-2 * Math.abs(fd), `token ${i}: gradient × input ${g.attributions[i]} vs finite difference ${fd}`);
  }
  assert.ok(Math.max(...Array.from(g.attributions, Math.abs)) > 1e-2, 'some token matters');
}

describe('analysis: attribution', function () {
  this.timeout(120_000);
  before(async () => {
    await useTfjsBackend('cpu');
  });

  it("GPT-style (reduced small): IG at 64 steps is complete within 1 %; f(E) and f(0) equal the tfjs reference's", () => {
    const config = reducedConfig('small', 19);
    const model = perturbedModel(config, 31);
    const T = 14;
    const ids = randomIds(32, 19, T);
    const position = 9;
    const ig = integratedGradients(model, ids, position, { steps: 64 });
    assert.equal(ig.target, ids[position + 1]);
    assert.equal(ig.attributions.length, position + 1);
    const w = weightsOf(model);
    const full = referenceForwardWithAttention(config, w, ids, 1, T).logits;
    w.get('tok_emb')!.fill(0); // untied head: zero token embeddings, positions kept
    const zero = referenceForwardWithAttention(config, w, ids, 1, T).logits;
    const f1 = refLogSoftmax(full, position * 19, 19)[ig.target]!;
    const f0 = refLogSoftmax(zero, position * 19, 19)[ig.target]!;
    assert.ok(Math.abs(ig.logProb - f1) < 1e-4 && Math.abs(ig.baselineLogProb - f0) < 1e-4, `f(E) ${ig.logProb} vs ${f1}, f(0) ${ig.baselineLogProb} vs ${f0}`);
    const sum = ig.attributions.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(f1 - f0) > 0.1, 'the baseline must differ from the input for the check to mean anything');
    assert.ok(Math.abs(sum - (f1 - f0)) <= 0.01 * Math.abs(f1 - f0), `Σ attributions ${sum} vs f(E) − f(0) = ${f1 - f0}`);
  });

  it('seed preset: IG at 64 steps is complete within 1 % and reports its own gap', () => {
    const model = perturbedModel(reducedConfig('seed', 17), 35);
    const ids = randomIds(36, 17, 12);
    const ig = integratedGradients(model, ids, 10, { steps: 64 });
    const delta = ig.logProb - ig.baselineLogProb;
    const sum = ig.attributions.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(delta) > 0.1);
    assert.ok(Math.abs(sum - delta) <= 0.01 * Math.abs(delta), `Σ attributions ${sum} vs ${delta}`);
    assert.ok(Math.abs(ig.completenessGap - (sum - delta)) < 1e-9);
  });

  it("stories260K (no learned positions): f(E) is llama2.c's, f(0) a forward with zero embeddings; the gap is reported, not hidden", function () {
    // The zero baseline of a RoPE + RMSNorm model is an all-zero residual stream, where f is
    // erratic (see attribution.ts): completeness is not promised there, only reported.
    const model = storiesModel(this);
    const ref = storiesReference(this, 'lily_park');
    const ids = Int32Array.from(ref.token_ids);
    for (const [position, target] of [
      [20, undefined],
      [44, 300],
    ] as const) {
      const ig = integratedGradients(model, ids, position, { steps: 64, target });
      const t = target ?? ids[position + 1]!;
      assert.equal(ig.target, t);
      const f1 = refLogSoftmax(ref.logits[position]!, 0, 512)[t]!;
      assert.ok(Math.abs(ig.logProb - f1) < 1e-3, `f(E) ${ig.logProb} vs llama2.c ${f1}`);
      const f0 = fScaled(model, ids, position, t, () => 0);
      assert.ok(Math.abs(ig.baselineLogProb - f0) < 1e-5);
      assert.ok(Math.abs(ig.baselineLogProb + Math.log(512)) < 1e-4, 'an all-zero stream predicts uniformly');
      const sum = ig.attributions.reduce((a, b) => a + b, 0);
      assert.ok(ig.attributions.every(Number.isFinite));
      assert.ok(Math.abs(ig.completenessGap - (sum - (f1 - f0))) < 1e-3);
    }
  });

  it("gradient × input = finite differences along each token's embedding (GPT-style, seed, stories260K)", function () {
    checkGradTimesInput(perturbedModel(reducedConfig('small', 19), 41), randomIds(42, 19, 12), 8);
    checkGradTimesInput(perturbedModel(reducedConfig('seed', 19), 43), randomIds(44, 19, 10), 9);
    const ref = storiesReference(this, 'tom_dog_newline');
    checkGradTimesInput(storiesModel(this), Int32Array.from(ref.token_ids), 12);
  });

  it("the last position explains the model's top guess; bad targets, steps and positions are refused", () => {
    const model = perturbedModel(reducedConfig('seed', 19), 45);
    const ids = randomIds(46, 19, 6);
    const g = gradientTimesInput(model, ids, 5);
    const logits = model.forward(null, ids, 1, 6).logits.data;
    const lp = refLogSoftmax(logits, 5 * 19, 19);
    assert.equal(g.target, lp.indexOf(Math.max(...lp)));
    assert.throws(() => integratedGradients(model, ids, 2, { target: 19 }), /target token 19 is outside the vocabulary \(0 to 18\)/);
    assert.throws(() => integratedGradients(model, ids, 2, { steps: 0 }), /steps must be a positive integer/);
    assert.throws(() => gradientTimesInput(model, ids, 6), /position 6 is outside/);
    // The parameters are trainable again afterwards.
    assert.ok([...model.params.values()].every((p) => p.requiresGrad && p.grad === null));
  });
});
