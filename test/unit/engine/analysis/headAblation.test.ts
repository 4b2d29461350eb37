/**
 * Head ablation and the per-head sweep against forward passes with the head removed,
 * written here: for GPT-style models the tfjs reference with a hook that zeroes the head's
 * Σα·v (or replaces it by its mean over positions, computed with tf ops in a clean pass);
 * for stories260K (Llama, grouped-query) weight surgery — a zeroed head output contributes
 * nothing through W_O, which is the same as zeroing that head's columns of W_O.
 */

import assert from 'node:assert/strict';
import { ablationSweep } from '../../../../src/engine/analysis/ablationSweep';
import { ablateHeads, type HeadRef } from '../../../../src/engine/analysis/headAblation';
import type { Transformer } from '../../../../src/engine/nn/transformer';
import { referenceLogitsWithHeadHook, tf, useTfjsBackend, type RefHeadHook } from '../../../reference/tfjsTransformer';
import {
  editedCopy,
  perturbedModel,
  randomIds,
  reducedConfig,
  refLogSoftmax,
  storiesModel,
  storiesReference,
  weightsOf,
} from '../../../helpers/analysisModels';

/** −log p(ids[i] | <i) from logits [T·V] in float64; NaN at 0. */
function surprisalFrom(logits: ArrayLike<number>, ids: Int32Array, V: number): number[] {
  return Array.from(ids, (id, i) => (i === 0 ? NaN : -refLogSoftmax(logits, (i - 1) * V, V)[id]!));
}

/** The model with `heads`' columns of W_O zeroed (their outputs then reach nothing). */
function withoutHeads(model: Transformer, heads: readonly HeadRef[]): Transformer {
  const hs = model.headSize;
  const C = model.config.dModel;
  const inF = model.config.nHeads * hs;
  return editedCopy(model, (w) => {
    for (const { layer, head } of heads) {
      const wo = w.get(`blocks.${layer}.attn.o.weight`)!;
      for (let r = 0; r < C; r++) wo.fill(0, r * inF + head * hs, r * inF + (head + 1) * hs);
    }
  });
}

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i]!)) assert.ok(Number.isNaN(got[i]!), `${what}[${i}] should be undefined`);
    else assert.ok(Math.abs(got[i]! - want[i]!) <= tol, `${what}[${i}]: ${got[i]} vs ${want[i]}`);
  }
}

describe('analysis: head ablation', function () {
  this.timeout(120_000);
  before(async () => {
    await useTfjsBackend('cpu');
  });

  const config = reducedConfig('small', 23);
  const heads: HeadRef[] = [
    { layer: 0, head: 1 },
    { layer: 1, head: 2 },
    { layer: 1, head: 0 },
  ];

  it("GPT-style, zero: surprisal after = the tfjs reference with those heads' Σα·v zeroed", () => {
    const model = perturbedModel(config, 3);
    const T = 18;
    const ids = randomIds(4, 23, T);
    const mask: RefHeadHook = (l, h) => {
      const keep = new Float32Array(4).fill(1);
      for (const x of heads) if (x.layer === l) keep[x.head] = 0;
      return tf.mul(h, tf.tensor4d(keep, [1, 4, 1, 1]));
    };
    const clean = referenceLogitsWithHeadHook(config, weightsOf(model), ids, 1, T, (_, h) => h);
    const ablated = referenceLogitsWithHeadHook(config, weightsOf(model), ids, 1, T, mask);
    const r = ablateHeads(model, ids, heads, 'zero');
    assertClose(r.surprisalBefore, surprisalFrom(clean, ids, 23), 1e-4, 'before');
    assertClose(r.surprisalAfter, surprisalFrom(ablated, ids, 23), 1e-4, 'after');
    const mean = (xs: number[]): number => xs.slice(1).reduce((a, b) => a + b, 0) / (xs.length - 1);
    assert.ok(Math.abs(r.lossAfter - mean(surprisalFrom(ablated, ids, 23))) < 1e-4);
    assert.ok(Math.abs(r.lossAfter - r.lossBefore) > 1e-3, 'ablating three heads of a perturbed model changes its loss');
  });

  it("GPT-style, mean: the heads' Σα·v replaced by its mean over positions in the clean tfjs pass", () => {
    const model = perturbedModel(config, 13);
    const T = 16;
    const ids = randomIds(14, 23, T);
    const means = new Map<number, tf.Tensor4D>();
    tf.tidy(() => {
      referenceLogitsWithHeadHook(config, weightsOf(model), ids, 1, T, (l, h) => {
        means.set(l, tf.keep(tf.mean(h, 2, true) as tf.Tensor4D)); // [1, H, 1, hs]
        return h;
      });
    });
    const replace: RefHeadHook = (l, h) => {
      const sel = new Float32Array(4);
      for (const x of heads) if (x.layer === l) sel[x.head] = 1;
      const s = tf.tensor4d(sel, [1, 4, 1, 1]);
      return tf.add(tf.mul(h, tf.sub(1, s)), tf.mul(means.get(l)!, s));
    };
    const ablated = referenceLogitsWithHeadHook(config, weightsOf(model), ids, 1, T, replace);
    tf.dispose([...means.values()]);
    const r = ablateHeads(model, ids, heads, 'mean');
    assertClose(r.surprisalAfter, surprisalFrom(ablated, ids, 23), 1e-4, 'after');
    const zero = ablateHeads(model, ids, heads, 'zero');
    assert.ok(Math.abs(zero.lossAfter - r.lossAfter) > 1e-4, 'mean and zero ablation differ');
  });

  it("stories260K (Llama, GQA), zero: equal to zeroing those heads' columns of W_O", function () {
    const model = storiesModel(this);
    const ref = storiesReference(this, 'tom_dog_newline');
    const ids = Int32Array.from(ref.token_ids);
    const some: HeadRef[] = [
      { layer: 0, head: 3 },
      { layer: 2, head: 6 },
      { layer: 4, head: 0 },
    ];
    const r = ablateHeads(model, ids, some, 'zero');
    const T = ids.length;
    const cut = withoutHeads(model, some).forward(null, ids, 1, T).logits.data;
    assertClose(r.surprisalAfter, surprisalFrom(cut, ids, 512), 1e-4, 'after');
    assertClose(
      r.surprisalBefore,
      Array.from(ids, (id, i) => (i === 0 ? NaN : -refLogSoftmax(ref.logits[i - 1]!, 0, 512)[id]!)),
      1e-3,
      'before (llama2.c)',
    );
  });

  it('refuses heads that do not exist and an empty list; duplicates count once', () => {
    const model = perturbedModel(config, 3);
    const ids = randomIds(1, 23, 6);
    assert.throws(() => ablateHeads(model, ids, [{ layer: 2, head: 0 }], 'zero'), /layer 2 does not exist; this model has layers 0 to 1/);
    assert.throws(() => ablateHeads(model, ids, [{ layer: 0, head: 4 }], 'mean'), /head 4 does not exist; this model has heads 0 to 3/);
    assert.throws(() => ablateHeads(model, ids, [], 'zero'), /no heads/);
    assert.deepEqual(
      ablateHeads(
        model,
        ids,
        [
          { layer: 1, head: 1 },
          { layer: 1, head: 1 },
        ],
        'zero',
      ).heads,
      [{ layer: 1, head: 1 }],
    );
  });
});

describe('analysis: head-ablation sweep', function () {
  this.timeout(120_000);

  it("stories260K: effects[l][h] = log p(next) with W_O's head columns zeroed − log p(next), for all 40 heads", function () {
    const model = storiesModel(this);
    const ref = storiesReference(this, 'lily_park');
    const ids = Int32Array.from(ref.token_ids);
    const position = 30;
    const s = ablationSweep(model, ids, position);
    assert.equal(s.target, ids[position + 1]);
    const clean = refLogSoftmax(ref.logits[position]!, 0, 512)[s.target]!;
    assert.ok(Math.abs(s.logProb - clean) < 1e-3, `clean log p: ${s.logProb} vs llama2.c ${clean}`);
    const T = ids.length;
    for (let l = 0; l < 5; l++) {
      for (let h = 0; h < 8; h++) {
        const logits = withoutHeads(model, [{ layer: l, head: h }]).forward(null, ids, 1, T).logits.data;
        const want = refLogSoftmax(logits, position * 512, 512)[s.target]! - s.logProb;
        assert.ok(Math.abs(s.effects[l * 8 + h]! - want) < 1e-4, `head ${l}.${h}: ${s.effects[l * 8 + h]} vs ${want}`);
      }
    }
    assert.ok(Math.max(...Array.from(s.effects, Math.abs)) > 0.01, 'some head matters');
  });

  it('GPT-style: effects match the same surgery; positions without a next token are refused', () => {
    const model = perturbedModel(reducedConfig('small', 23), 21);
    const ids = randomIds(22, 23, 12);
    const s = ablationSweep(model, ids, 7);
    for (let l = 0; l < 2; l++) {
      for (let h = 0; h < 4; h++) {
        const logits = withoutHeads(model, [{ layer: l, head: h }]).forward(null, ids, 1, 12).logits.data;
        const want = refLogSoftmax(logits, 7 * 23, 23)[ids[8]!]! - s.logProb;
        assert.ok(Math.abs(s.effects[l * 4 + h]! - want) < 1e-4, `head ${l}.${h}: ${s.effects[l * 4 + h]} vs ${want}`);
      }
    }
    assert.throws(() => ablationSweep(model, ids, 11), /position 11 is the last token, so there is no next token to predict; choose 0 to 10/);
    assert.throws(() => ablationSweep(model, ids, 12), /outside the text's 12 tokens/);
  });
});
