/**
 * Fault injection: training that goes non-finite. No real input makes the engine diverge (the
 * CLI and the worker cap the learning rate at 10, and AdamW with gradient clipping bounds
 * every update: `--preset seed --lr 10` reaches losses near 10^7 that stay finite), so a
 * weight is poisoned between steps, as train/trainer.test.ts does with NaN. What this adds:
 * an infinite weight, the whole kept state (AdamW moments and step count, not only the
 * parameters), the point reported once for the loss panel but kept out of the history, and
 * the checkpoint the CLI then writes: it loads, at the last good step, and resumes.
 */

import { strict as assert } from 'node:assert';
import { parseSafetensors } from '../../../src/engine/checkpoint/safetensors';
import { parseCheckpoint, serializeCheckpoint } from '../../../src/engine/checkpoint/native';
import { presetConfig } from '../../../src/engine/models/presets';
import { Transformer } from '../../../src/engine/nn/transformer';
import { Rng } from '../../../src/engine/random';
import { CharTokenizer } from '../../../src/engine/tokenizer/charTokenizer';
import { resolveTrainOptions } from '../../../src/engine/train/options';
import { Trainer, type StepMetrics } from '../../../src/engine/train/trainer';
import { errorCode } from '../../../src/cli/main';
import { TrainingDivergedError } from '../../../src/cli/commands/train';

const TEXT = 'the cat sat on the mat. the dog sat on the log. '.repeat(40);

function trainer(): { trainer: Trainer; tok: CharTokenizer } {
  const tok = CharTokenizer.fromText(TEXT);
  const options = resolveTrainOptions({ steps: 10, batchSize: 2, evalInterval: 100, evalWindows: 2 });
  const model = Transformer.create(presetConfig('tiny', tok.vocabSize), new Rng(3));
  return { trainer: new Trainer(model, tok.encode(TEXT).ids, options), tok };
}

describe('faults: a weight that goes infinite during training', function () {
  this.timeout(60_000);

  for (const poison of [Infinity, -Infinity]) {
    it(`stops at the first non-finite loss (weight set to ${poison}) and keeps the whole last good state`, async () => {
      const { trainer: t, tok } = trainer();
      const seen: StepMetrics[] = [];
      const flag = { isCancellationRequested: false };
      await t.run({
        onStep: (m) => {
          seen.push(m);
          if (m.step === 2) flag.isCancellationRequested = true;
        },
        cancellation: flag,
      });
      assert.equal(t.step, 2);

      t.model.params.get('blocks.1.mlp.fc.weight')!.data[5] = poison;
      const before = t.snapshot();
      const params = t.model.parameters().map((p) => p.data.slice());
      const reported: StepMetrics[] = [];
      const result = await t.run({ onStep: (m) => reported.push(m) });

      assert.equal(result.reason, 'diverged');
      assert.equal(result.step, 2);
      assert.match(
        result.message!,
        /training stopped at step 3: the loss is (NaN|-?Infinity) \(learning rate [0-9.e-]+\); the parameters from the last good step are kept/,
      );
      // Reported once, so the loss panel can mark the point; not part of the history that is saved.
      assert.equal(reported.length, 1);
      assert.ok(!Number.isFinite(reported[0]!.loss));
      assert.equal(t.history.steps.length, 2);
      assert.ok(t.history.steps.every((m) => Number.isFinite(m.loss)));

      const after = t.snapshot();
      assert.equal(after.step, before.step);
      assert.equal(after.optimizer.t, before.optimizer.t);
      after.optimizer.m.forEach((m, i) => assert.deepEqual(m, before.optimizer.m[i], `AdamW m[${i}]`));
      after.optimizer.v.forEach((v, i) => assert.deepEqual(v, before.optimizer.v[i], `AdamW v[${i}]`));
      t.model.parameters().forEach((p, i) => assert.deepEqual(p.data, params[i], `parameter ${t.model.spec[i]!.name}`));

      // What `attention-lens train` does next: save this state, then exit with the 'diverged' code.
      // The poisoned weight is part of that state, so loading it back is refused, naming the weight.
      const bytes = serializeCheckpoint(t.model, tok.toJSON(), { options: t.options, state: after });
      assert.throws(
        () => parseCheckpoint(bytes),
        /parameter "blocks\.1\.mlp\.fc\.weight" holds 1 non-finite value of \d+ \(the first, at index 5, is -?Infinity\)/,
      );
      const training = JSON.parse(parseSafetensors(bytes).metadata.training!) as { step: number; history: { steps: unknown[] } };
      assert.equal(training.step, 2);
      assert.equal(training.history.steps.length, 2);
      assert.equal(errorCode(new TrainingDivergedError(`${result.message}; saved the last good state to x`)), 'diverged');
    });
  }

  it('once the bad weight is repaired, the saved state resumes from the last good step', async () => {
    const { trainer: t, tok } = trainer();
    const flag = { isCancellationRequested: false };
    await t.run({
      onStep: (m) => {
        if (m.step === 2) flag.isCancellationRequested = true;
      },
      cancellation: flag,
    });
    const w = t.model.params.get('lm_head.weight')!.data;
    const good = w[0]!;
    w[0] = Infinity;
    assert.equal((await t.run()).reason, 'diverged');
    w[0] = good;
    const saved = parseCheckpoint(serializeCheckpoint(t.model, tok.toJSON(), { options: t.options, state: t.snapshot() }));
    const resumed = new Trainer(saved.model, tok.encode(TEXT).ids, saved.training!.options, saved.training!.state);
    const result = await resumed.run();
    assert.equal(result.reason, 'completed');
    assert.equal(resumed.step, 10);
    assert.ok(resumed.history.steps.every((m) => Number.isFinite(m.loss)));
  });
});
