/**
 * Whole-model check against an independent implementation: the same weights and batch
 * through the engine (hand-written backward) and through the tfjs reference
 * (test/reference/tfjsTransformer.ts, tfjs autodiff on backend 'cpu') must give the same
 * logits, loss and gradient for every parameter; and one step of the engine's Trainer must
 * equal a hand AdamW update computed with tfjs ops from the tfjs gradients.
 */

import assert from 'node:assert/strict';
import { Tape } from '../../../../src/engine/autograd';
import type { ModelConfig } from '../../../../src/engine/models/config';
import { presetConfig } from '../../../../src/engine/models/presets';
import { Transformer } from '../../../../src/engine/nn/transformer';
import { Rng } from '../../../../src/engine/random';
import { Trainer } from '../../../../src/engine/train/trainer';
import { resolveTrainOptions } from '../../../../src/engine/train/options';
import {
  adamwUpdate, REF_ADAMW, referenceLossAndGrads, referenceParamShapes, tf, useTfjsBackend,
} from '../../../reference/tfjsTransformer';

/** The `small` preset's shape, reduced so a test runs in well under a second. */
function reducedConfig(preset: 'small' | 'seed', V: number): ModelConfig {
  const base = presetConfig(preset, V);
  return { ...base, nLayers: preset === 'small' ? 2 : 1, nHeads: 4, nKvHeads: 4, dModel: 32, contextLength: 16, mlpHidden: base.mlp === 'none' ? 0 : 128 };
}

/**
 * A model with weights far from initialisation: matrices ~N(0, 1/fan_in) so attention is
 * neither uniform nor one-hot, non-zero biases, norm scales around 1 but not 1.
 */
function perturbedModel(config: ModelConfig, seed: number): Transformer {
  const model = Transformer.create(config, new Rng(seed));
  const rng = new Rng(seed + 1);
  for (const s of model.spec) {
    const d = model.params.get(s.name)!.data;
    const std = s.shape.length >= 2 ? (s.name.endsWith('_emb') ? 0.8 : 1 / Math.sqrt(s.shape[1]!)) : 0.2;
    const mean = s.init === 'ones' ? 1 : 0;
    for (let i = 0; i < d.length; i++) d[i] = mean + std * rng.normal();
  }
  return model;
}

function weightsOf(model: Transformer): Map<string, Float32Array> {
  return new Map([...model.params].map(([n, t]) => [n, t.data.slice()]));
}

/** Random ids and targets; a few targets are −1 (ignored by both). */
function randomBatch(rng: Rng, V: number, B: number, T: number, ignored = 2): { ids: Int32Array; targets: Int32Array } {
  const ids = new Int32Array(B * T).map(() => rng.int(V));
  const targets = new Int32Array(B * T).map(() => rng.int(V));
  for (let i = 0; i < ignored; i++) targets[rng.int(B * T)] = -1;
  return { ids, targets };
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

interface Comparison {
  readonly name: string;
  readonly maxDiff: number;
  readonly scale: number;
  readonly tol: number;
  readonly at: number;
}

/** max |ours − ref| against rtol·max|ref| + atol. */
function compare(name: string, ours: ArrayLike<number>, ref: ArrayLike<number>, rtol: number, atol: number): Comparison {
  assert.equal(ours.length, ref.length, `${name}: ${ours.length} values vs ${ref.length} in the reference`);
  let maxDiff = 0, at = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ours[i]! - ref[i]!);
    if (!(d <= maxDiff)) {
      maxDiff = d;
      at = i;
    }
  }
  const scale = maxAbs(ref);
  return { name, maxDiff, scale, tol: rtol * scale + atol, at };
}

function describe_(c: Comparison, ours: ArrayLike<number>, ref: ArrayLike<number>): string {
  return `${c.name}: max |ours − tfjs| = ${c.maxDiff.toExponential(3)} at [${c.at}] (ours ${ours[c.at]}, tfjs ${ref[c.at]}), max|tfjs| = ${c.scale.toExponential(3)}, tolerance ${c.tol.toExponential(3)}`;
}

const GRAD_RTOL = 1e-4;
/** Absolute floor for gradients that are zero in exact arithmetic (e.g. the key bias: softmax ignores a per-row constant). */
const GRAD_ATOL = 1e-7;

function checkAgainstTfjs(config: ModelConfig, seed: number, B: number, T: number): void {
  const model = perturbedModel(config, seed);
  const specNames = model.spec.map((s) => `${s.name} [${s.shape.join(', ')}]`);
  const refNames = referenceParamShapes(config).map(([n, s]) => `${n} [${s.join(', ')}]`);
  assert.deepEqual(specNames, refNames, 'engine and reference disagree on the parameter list');

  const { ids, targets } = randomBatch(new Rng(seed + 2), config.vocabSize, B, T);
  const ref = referenceLossAndGrads(config, weightsOf(model), ids, targets, B, T);

  model.zeroGrad();
  const tape = new Tape();
  const r = model.forward(tape, ids, B, T, { targets });
  const loss = r.loss!.data[0]!;
  tape.backward(r.loss!);

  assert.ok(Number.isFinite(ref.loss) && ref.loss > 0.5, `reference loss ${ref.loss} should be a non-trivial positive number`);
  assert.ok(Math.abs(loss - ref.loss) <= 1e-4 * Math.abs(ref.loss), `loss: ours ${loss}, tfjs ${ref.loss}`);

  const lc = compare('logits', r.logits.data, ref.logits, 1e-4, 1e-6);
  assert.ok(lc.maxDiff <= lc.tol, describe_(lc, r.logits.data, ref.logits));

  const failures: string[] = [];
  let worst: { c: Comparison; msg: string } | null = null;
  for (const s of model.spec) {
    const ours = model.params.get(s.name)!.grad ?? new Float32Array(model.params.get(s.name)!.size);
    const theirs = ref.grads.get(s.name)!;
    const c = compare(s.name, ours, theirs, GRAD_RTOL, GRAD_ATOL);
    const msg = describe_(c, ours, theirs);
    if (!(c.maxDiff <= c.tol)) failures.push(msg);
    if (!worst || c.maxDiff / c.tol > worst.c.maxDiff / worst.c.tol) worst = { c, msg };
  }
  assert.equal(failures.length, 0, `${failures.length} of ${model.spec.length} parameter gradients differ from tfjs:\n  ${failures.join('\n  ')}`);
  assert.ok(worst);
}

describe('nn/transformer against the tfjs reference (independent implementation, autodiff)', function () {
  this.timeout(60_000);
  before(async () => {
    await useTfjsBackend('cpu');
  });

  it('gpt (reduced small: 2 layers, 4 heads, d_model 32, MLP 4×): same logits, loss and gradient for every parameter', () => {
    checkAgainstTfjs(reducedConfig('small', 13), 11, 3, 16);
  });

  it('gpt with a sequence shorter than the context: unused positions get zero gradient in both', () => {
    checkAgainstTfjs(reducedConfig('small', 13), 23, 2, 9);
  });

  it('seed architecture (embedding → one attention layer with residual → linear): same logits, loss and gradients', () => {
    checkAgainstTfjs(reducedConfig('seed', 13), 31, 3, 16);
  });

  it("one Trainer step equals clipping + AdamW computed with tfjs ops from the tfjs gradients", () => {
    const config = reducedConfig('small', 13);
    const model = perturbedModel(config, 41);
    const T = 12, B = 3;
    // T + 1 tokens and no validation split: every training window is the whole text, so the
    // batch is known without replaying the trainer's sampling.
    const tokens = new Int32Array(T + 1).map((_, i) => (i * 5 + 3) % config.vocabSize);
    const ids = tokens.subarray(0, T), tg = tokens.subarray(1);
    const batchIds = new Int32Array(B * T), batchTargets = new Int32Array(B * T);
    for (let b = 0; b < B; b++) { batchIds.set(ids, b * T); batchTargets.set(tg, b * T); }

    const before = weightsOf(model);
    const ref = referenceLossAndGrads(config, before, batchIds, batchTargets, B, T);
    let refNorm = 0;
    for (const g of ref.grads.values()) for (const x of g) refNorm += x * x;
    refNorm = Math.sqrt(refNorm);
    const gradClip = refNorm / 2; // make the clip active, so it is checked too

    const options = resolveTrainOptions({ steps: 1, batchSize: B, learningRate: 1e-2, warmupSteps: 0, weightDecay: 0.1, gradClip, validationFraction: 0, seed: 5 });
    const trainer = new Trainer(model, tokens, options);
    assert.equal(trainer.data.T, T);
    const m = trainer.trainStep();
    assert.ok(Math.abs(m.loss - ref.loss) <= 1e-4 * ref.loss, `loss: trainer ${m.loss}, tfjs ${ref.loss}`);
    assert.ok(Math.abs(m.gradNorm - refNorm) <= 1e-4 * refNorm, `grad norm: trainer ${m.gradNorm}, tfjs ${refNorm}`);

    const shapes = referenceParamShapes(config);
    const expected = tf.tidy(() => {
      const ps = shapes.map(([n, s]) => tf.tensor(before.get(n)!, s));
      const gs = shapes.map(([n, s]) => tf.tensor(ref.grads.get(n)!, s));
      const zeros = ps.map((p) => tf.zerosLike(p));
      const u = adamwUpdate(ps, gs, zeros, zeros, 1, m.lr, { ...REF_ADAMW, weightDecay: 0.1, gradClip });
      return u.params.map((p) => p.dataSync() as Float32Array);
    });

    // Adam's first step is lr·g/(|g| + ε) ≈ lr·sign(g): an element whose gradient is within
    // the gradient tolerance of zero has no determined direction, so it may move by up to
    // 2·lr; every other element must match to 1e-3·lr.
    const lr = m.lr;
    const failures: string[] = [];
    shapes.forEach(([name], i) => {
      const ours = model.params.get(name)!.data;
      const exp = expected[i]!;
      const g = ref.grads.get(name)!;
      const gTol = GRAD_RTOL * maxAbs(g) + GRAD_ATOL;
      for (let j = 0; j < exp.length; j++) {
        const undetermined = Math.abs(g[j]!) <= gTol * 10;
        const tol = undetermined ? 2.001 * lr : 1e-3 * lr + 1e-6 * Math.abs(exp[j]!);
        if (!(Math.abs(ours[j]! - exp[j]!) <= tol)) {
          failures.push(`${name}[${j}]: trainer ${ours[j]}, tfjs AdamW ${exp[j]} (before ${before.get(name)![j]}, grad ${g[j]})`);
          break;
        }
      }
    });
    assert.equal(failures.length, 0, `parameters after one step differ:\n  ${failures.join('\n  ')}`);
  });
});
