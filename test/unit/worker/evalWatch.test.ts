/**
 * What the worker adds to a training run's evaluations, with the real engine: a run that
 * overfits (a short text of random letters, many steps: nothing to generalise, everything to
 * memorise) keeps its validation-best weights, saved beside the last checkpoint, and they are
 * bit for bit the weights a fresh, deterministic re-training reaches at that step; the run's
 * curves show the overfitting rule's pattern; every evaluation carries a greedy sample of
 * the probe, which equals generation from the model at that step. A run whose best
 * evaluation is its last saves no second checkpoint.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generate, presetConfig, resolveTrainOptions, Rng, Trainer, Transformer, CharTokenizer } from '../../../src/engine';
import { loadModel } from '../../../src/node/loadModel';
import { detectOverfitting } from '../../../src/presentation/overfitting';
import { SAMPLE_TOKENS } from '../../../src/worker/evalWatch';
import { Harness, SAMPLE_TEXT, tempDir } from './harness';

/** 400 letters drawn from 16 with a fixed generator: memorisable, not predictable. */
function randomLetters(n: number, seed: number): string {
  const rng = new Rng(seed);
  let s = '';
  for (let i = 0; i < n; i++) s += 'abcdefghijklmnop'[rng.int(16)];
  return s;
}

describe('worker/evalWatch: eval samples and the validation-best checkpoint', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => {
    dir = tempDir();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('an overfitting run keeps its validation-best weights, equal to re-training to that step; samples at each evaluation', async () => {
    const text = randomLetters(400, 11);
    const options = {
      preset: 'tiny',
      steps: 240,
      batchSize: 8,
      learningRate: 3e-3,
      seed: 3,
      evalInterval: 20,
      attention: 'soft' as const,
      snapshotEvery: null,
    };
    const h = new Harness();
    const out = path.join(dir, 'overfit.safetensors');
    const id = h.request({ type: 'train', text, options, checkpointPath: out, sourceName: 'letters.txt', samplePrompt: 'abcab', probe: null });
    const fin = await h.expect(id, 'trainFinished', 240_000);
    assert.equal(fin.reason, 'completed');
    const evals = h.of('trainEval', id);
    const steps = h.of('trainStep', id);
    // The lowest validation loss, found here from the reported evaluations.
    let bestIndex = 0;
    evals.forEach((e, i) => {
      if (e.valLoss < evals[bestIndex]!.valLoss) bestIndex = i;
    });
    const bestEval = evals[bestIndex]!;
    assert.ok(bestEval.step < fin.step, `the run went on past its best evaluation (step ${bestEval.step} of ${fin.step})`);
    assert.deepEqual(fin.best, { path: path.join(dir, 'overfit.best.safetensors'), step: bestEval.step, valLoss: bestEval.valLoss });

    // The run shows the pattern the finish message and the loss panel call overfitting.
    const col = <T>(xs: T[], f: (x: T) => number): Float64Array => Float64Array.from(xs, f);
    const finding = detectOverfitting(
      { step: col(steps, (s) => s.step), loss: col(steps, (s) => s.loss) },
      { step: col(evals, (e) => e.step), valLoss: col(evals, (e) => e.valLoss) },
    );
    assert.ok(finding, 'validation stopped improving while training loss fell');
    assert.equal(finding.bestStep, bestEval.step);

    // Re-train from scratch, deterministically, to the best step: the saved weights are those.
    const tokenizer = CharTokenizer.fromText(text);
    const config = presetConfig('tiny', tokenizer.vocabSize);
    const trainOptions = resolveTrainOptions({ steps: 240, batchSize: 8, learningRate: 3e-3, seed: 3, evalInterval: 20 });
    const trainer = new Trainer(Transformer.create(config, new Rng(3)), tokenizer.encode(text).ids, trainOptions);
    for (let s = 0; s < bestEval.step; s++) trainer.trainStep();
    const best = await loadModel(fin.best!.path);
    assert.equal(best.training?.state.step, bestEval.step, 'the best checkpoint is resumable from its own step');
    for (const spec of trainer.model.spec) {
      const want = trainer.model.params.get(spec.name)!.data;
      const got = best.model.params.get(spec.name)!.data;
      assert.ok(
        Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength)),
        `${spec.name} at step ${bestEval.step}`,
      );
    }
    // …and the last checkpoint is the model at the end, not the best one.
    const last = await loadModel(out);
    assert.equal(last.training?.state.step, fin.step);
    const first = trainer.model.spec[0]!.name;
    assert.notDeepEqual(last.model.params.get(first)?.data, best.model.params.get(first)?.data);

    // Every evaluation carries a sample of the probe; at the best step it is the best model's greedy continuation.
    assert.ok(evals.every((e) => e.sample?.prompt === 'abcab' && typeof e.sample.text === 'string'));
    const probe = tokenizer.encode('abcab').ids;
    const expected = tokenizer.decode(generate(best.model, probe, { maxTokens: SAMPLE_TOKENS, temperature: 0, rng: new Rng(9) }));
    assert.equal(bestEval.sample?.text, expected);
    assert.equal([...expected].length, SAMPLE_TOKENS);
  });

  it('a run still improving at its end saves no second checkpoint; without a probe the sample continues the validation text', async () => {
    const h = new Harness();
    const out = path.join(dir, 'improving.safetensors');
    const id = h.request({
      type: 'train',
      text: SAMPLE_TEXT.repeat(3),
      options: { preset: 'tiny', steps: 6, batchSize: 2, learningRate: null, seed: 5, evalInterval: 3, attention: 'soft', snapshotEvery: null },
      checkpointPath: out,
      sourceName: 'sample.txt',
      probe: null,
    });
    const fin = await h.expect(id, 'trainFinished');
    const evals = h.of('trainEval', id);
    assert.ok(evals[evals.length - 1]!.valLoss <= Math.min(...evals.map((e) => e.valLoss)), 'six steps in, validation loss still falls');
    assert.equal(fin.best, null);
    assert.equal(fs.existsSync(path.join(dir, 'improving.best.safetensors')), false);
    const tokenizer = CharTokenizer.fromText(SAMPLE_TEXT.repeat(3));
    const ids = tokenizer.encode(SAMPLE_TEXT.repeat(3)).ids;
    const validationStart = tokenizer.decode(ids.subarray(ids.length - Math.floor(ids.length * 0.1)).slice(0, 32));
    assert.ok(
      evals.every((e) => e.sample?.prompt === validationStart),
      `the probe is the validation text's start: ${JSON.stringify(validationStart)}`,
    );
  });
});
