/**
 * Whole-model check against an independent implementation: the same weights and batch
 * through the engine (hand-written backward) and through the tfjs reference
 * (test/reference/tfjsTransformer.ts, tfjs autodiff on backend 'cpu') must give the same
 * logits, loss and gradient for every parameter (GPT, the tutorial's seed model, and Llama
 * with RMSNorm, both rotary pairings, SwiGLU and grouped-query attention); and 40 steps of the engine's Trainer
 * (warm-up + cosine schedule, clipping, AdamW) must follow 40 steps of the tfjs reference
 * trainer driven by the schedule written out here from its formula.
 */

import assert from 'node:assert/strict';
import { Tape } from '../../../../src/engine/autograd';
import type { ModelConfig } from '../../../../src/engine/models/config';
import { presetConfig } from '../../../../src/engine/models/presets';
import { Transformer } from '../../../../src/engine/nn/transformer';
import { Rng } from '../../../../src/engine/random';
import { Trainer } from '../../../../src/engine/train/trainer';
import { resolveTrainOptions } from '../../../../src/engine/train/options';
import { REF_ADAMW, referenceLossAndGrads, referenceParamShapes, TfjsTrainer, useTfjsBackend } from '../../../reference/tfjsTransformer';

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
  let maxDiff = 0,
    at = 0;
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

/** Compares everything; returns both sides' gradients for further checks. */
function checkAgainstTfjs(config: ModelConfig, seed: number, B: number, T: number): { ours: Map<string, Float32Array>; tfjs: Map<string, Float32Array> } {
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
  const ours = new Map(model.spec.map((s) => [s.name, model.params.get(s.name)!.grad ?? new Float32Array(model.params.get(s.name)!.size)]));
  return { ours, tfjs: ref.grads };
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
    const config = reducedConfig('small', 13),
      T = 9,
      C = config.dModel;
    const { ours, tfjs } = checkAgainstTfjs(config, 23, 2, T);
    for (const [side, grads] of [
      ['ours', ours],
      ['tfjs', tfjs],
    ] as const) {
      const g = grads.get('pos_emb');
      assert.ok(g && g.length === config.contextLength * C, `${side}: pos_emb gradient missing`);
      for (let t = 0; t < config.contextLength; t++) {
        const row = g.subarray(t * C, (t + 1) * C);
        if (t < T) assert.ok(maxAbs(row) > 0, `${side}: position ${t} is used, its gradient should not be zero`);
        else
          assert.ok(
            row.every((x) => x === 0),
            `${side}: position ${t} ≥ ${T} is unused, its gradient should be exactly 0 (max |g| ${maxAbs(row)})`,
          );
      }
    }
  });

  /** A tiny Llama: RMSNorm, rotary positions, SwiGLU, 4 query heads on 2 key/value heads. */
  const llama = (ropeStyle: 'interleaved' | 'half', tiedEmbeddings: boolean): ModelConfig => ({
    architecture: 'llama',
    vocabSize: 13,
    contextLength: 16,
    dModel: 32,
    nLayers: 2,
    nHeads: 4,
    nKvHeads: 2,
    mlpHidden: 48,
    norm: 'rmsnorm',
    normEps: 1e-5,
    positional: 'rope',
    ropeTheta: 10000,
    ropeStyle,
    mlp: 'swiglu',
    bias: false,
    tiedEmbeddings,
    attentionMode: 'soft',
    dropout: 0,
  });

  it('llama (RMSNorm, interleaved RoPE, SwiGLU, grouped-query 4→2, tied head): same logits, loss and gradient for every parameter', () => {
    checkAgainstTfjs(llama('interleaved', true), 51, 3, 16);
  });

  it('llama with rotate-half RoPE, an untied head and a sequence shorter than the context: same logits, loss and gradients', () => {
    checkAgainstTfjs(llama('half', false), 53, 2, 11);
  });

  it('seed architecture (embedding → one attention layer with residual → linear): same logits, loss and gradients', () => {
    checkAgainstTfjs(reducedConfig('seed', 13), 31, 3, 16);
  });

  it('40 Trainer steps (warm-up, cosine decay, clipping, AdamW) follow 40 tfjs AdamW steps with the schedule from its formula', () => {
    // Adam's first step from zero moments is ≈ lr·sign(g) whatever β₁, β₂ and the bias
    // correction are; only a trajectory long enough for the moments to differ from the
    // current gradient checks them. No biases: the key bias's gradient is zero in exact
    // arithmetic, so Adam would turn its rounding noise into ±lr steps in both, differently.
    const config: ModelConfig = { ...reducedConfig('small', 13), bias: false };
    const model = perturbedModel(config, 41);
    const T = 12,
      B = 3,
      STEPS = 40,
      WARMUP = 6,
      PEAK = 1e-2,
      MIN_RATIO = 0.1,
      WD = 0.1;
    // T + 1 tokens and no validation split: every training window is the whole text, so each
    // step's batch is known without replaying the trainer's sampling.
    const tokens = new Int32Array(T + 1).map((_, i) => (i * 5 + 3) % config.vocabSize);
    const ids = tokens.subarray(0, T),
      tg = tokens.subarray(1);
    const batchIds = new Int32Array(B * T),
      batchTargets = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      batchIds.set(ids, b * T);
      batchTargets.set(tg, b * T);
    }

    const before = weightsOf(model);
    const first = referenceLossAndGrads(config, before, batchIds, batchTargets, B, T);
    let norm0 = 0;
    for (const g of first.grads.values()) for (const x of g) norm0 += x * x;
    const gradClip = Math.sqrt(norm0) / 2; // the clip is active at least at the start, so it is checked too

    /** Linear warm-up to the peak, then cosine to PEAK·MIN_RATIO over the remaining steps (0-based step s). */
    const lrAt = (s: number): number => {
      if (s < WARMUP) return (PEAK * (s + 1)) / WARMUP;
      const p = (s - WARMUP) / (STEPS - WARMUP);
      return PEAK * MIN_RATIO + 0.5 * PEAK * (1 - MIN_RATIO) * (1 + Math.cos(Math.PI * p));
    };

    const options = resolveTrainOptions({
      steps: STEPS,
      batchSize: B,
      learningRate: PEAK,
      warmupSteps: WARMUP,
      minLrRatio: MIN_RATIO,
      weightDecay: WD,
      gradClip,
      validationFraction: 0,
      seed: 5,
    });
    const trainer = new Trainer(model, tokens, options);
    assert.equal(trainer.data.T, T);
    const ref = new TfjsTrainer(config, before, { ...REF_ADAMW, weightDecay: WD, gradClip });
    try {
      const lossFailures: string[] = [];
      let firstLoss = NaN,
        lastLoss = NaN;
      for (let s = 0; s < STEPS; s++) {
        const m = trainer.trainStep();
        const r = ref.step(batchIds, batchTargets, B, T, lrAt(s));
        if (s === 0) firstLoss = r.loss;
        lastLoss = r.loss;
        if (!(Math.abs(m.loss - r.loss) <= 1e-3 * r.loss)) lossFailures.push(`step ${s + 1}: trainer loss ${m.loss}, tfjs ${r.loss}`);
        if (!(Math.abs(m.gradNorm - r.gradNorm) <= 1e-3 * r.gradNorm)) lossFailures.push(`step ${s + 1}: trainer grad norm ${m.gradNorm}, tfjs ${r.gradNorm}`);
      }
      assert.equal(lossFailures.length, 0, `the trajectories part:\n  ${lossFailures.slice(0, 8).join('\n  ')}`);
      assert.ok(lastLoss < firstLoss - 0.5, `the run should train (loss ${firstLoss} → ${lastLoss}), or the comparison shows little`);

      // Each weight has moved by up to Σ lr ≈ 0.2 over the run; the tolerance is far below one step's lr.
      const expected = ref.weights();
      const failures: string[] = [];
      for (const s of model.spec) {
        const ours = model.params.get(s.name)!.data;
        const exp = expected.get(s.name)!;
        const c = compare(s.name, ours, exp, 0, 3e-2 * PEAK * MIN_RATIO);
        if (!(c.maxDiff <= c.tol)) failures.push(describe_(c, ours, exp));
      }
      assert.equal(failures.length, 0, `parameters after ${STEPS} steps differ from tfjs AdamW:\n  ${failures.join('\n  ')}`);
    } finally {
      ref.dispose();
    }
  });
});
