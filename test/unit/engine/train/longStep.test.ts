/**
 * A long step (a batch larger than one micro-batch) stays responsive: the trainer yields between
 * micro-batches, and a stop requested there is honoured before the step finishes — fewer parts
 * forwarded than the step has, no step reported, and the parameters, AdamW moments and generator
 * exactly as before the step, so a resume from there equals the uninterrupted run bit for bit.
 * Cutting a batch into micro-batches gives the whole batch's loss and update (up to rounding).
 * Nothing here is timed: the stop is placed by counting yields and parts.
 */

import assert from 'node:assert/strict';
import { presetConfig } from '../../../../src/engine/models/presets';
import { Transformer } from '../../../../src/engine/nn/transformer';
import { Rng } from '../../../../src/engine/random';
import { CharTokenizer } from '../../../../src/engine/tokenizer/charTokenizer';
import { microBatchWindows } from '../../../../src/engine/train/microBatches';
import { resolveTrainOptions } from '../../../../src/engine/train/options';
import { Trainer, type StepMetrics } from '../../../../src/engine/train/trainer';
import { engineSourceText } from '../../../helpers/corpus';

describe('train: cancellation inside a long step', function () {
  this.timeout(240_000);
  const text = engineSourceText(30_000);
  const tok = CharTokenizer.fromText(text);
  const ids = tok.encode(text).ids;
  // tiny's window is 64 tokens: 64 windows a micro-batch, so a batch of 150 is 3 parts (64, 64, 22).
  const options = resolveTrainOptions({ steps: 3, batchSize: 150, evalInterval: 1000, seed: 4 });
  const fresh = (): Trainer => new Trainer(Transformer.create(presetConfig('tiny', tok.vocabSize), new Rng(options.seed)), ids, options);
  const bits = (t: Trainer): Buffer[] => t.model.parameters().map((p) => Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength));

  it('a batch of 150 windows of 64 is cut into 3 micro-batches', async () => {
    assert.equal(microBatchWindows(64), 64);
    const parts: [number, number, number][] = [];
    await fresh().run({ onMicroBatch: (step, done, total) => parts.push([step, done, total]), until: 1 });
    assert.deepEqual(parts, [
      [1, 1, 3],
      [1, 2, 3],
      [1, 3, 3],
    ]);
  });

  it("cut into parts, a step gives the whole batch's loss and nearly the same update", async () => {
    const whole = fresh();
    whole.microBatchTokens = 1e9;
    const cut = fresh();
    const a: StepMetrics[] = [];
    const b: StepMetrics[] = [];
    await whole.run({ onStep: (m) => a.push(m), until: 2 });
    await cut.run({ onStep: (m) => b.push(m), until: 2 });
    for (let i = 0; i < 2; i++) {
      assert.ok(Math.abs(a[i]!.loss - b[i]!.loss) < 1e-5 * a[i]!.loss, `step ${i + 1} loss ${a[i]!.loss} vs ${b[i]!.loss}`);
      assert.ok(Math.abs(a[i]!.gradNorm - b[i]!.gradNorm) < 1e-4 * a[i]!.gradNorm, `step ${i + 1} gradient norm ${a[i]!.gradNorm} vs ${b[i]!.gradNorm}`);
    }
    let worst = 0;
    whole.model.parameters().forEach((p, i) => {
      const q = cut.model.parameters()[i]!;
      for (let j = 0; j < p.data.length; j++) worst = Math.max(worst, Math.abs(p.data[j]! - q.data[j]!));
    });
    // Two AdamW steps move a weight by at most ~2·lr (6e-3); the cut changes that by far less.
    assert.ok(worst < 2e-4, `largest parameter difference ${worst}`);
  });

  it('a stop during the first step is honoured after its first part: nothing changed, no step reported', async () => {
    const t = fresh();
    const before = bits(t);
    const rng = t.snapshot().rng;
    const flag = { isCancellationRequested: false };
    let parts = 0;
    const steps: StepMetrics[] = [];
    const result = await t.run({
      cancellation: flag,
      onMicroBatch: () => parts++,
      onStep: (m) => steps.push(m),
      yieldControl: async () => {
        flag.isCancellationRequested = true; // Ctrl-C arrives while the step is going
      },
    });
    assert.equal(result.reason, 'cancelled');
    assert.equal(result.step, 0);
    assert.equal(parts, 1, 'one of the three parts was forwarded');
    assert.equal(steps.length, 0);
    assert.deepEqual(bits(t), before, 'the parameters are untouched');
    const s = t.snapshot();
    assert.deepEqual(s.rng, rng, 'the generator is back where the step began');
    assert.equal(s.optimizer.t, 0);
    assert.ok(s.optimizer.m.every((m) => m.every((x) => x === 0)));
  });

  it('stopped in the middle of step 2 and resumed: the losses and bits of the straight run', async () => {
    const straight = fresh();
    const want: number[] = [];
    await straight.run({ onStep: (m) => want.push(m.loss) });

    const first = fresh();
    const flag = { isCancellationRequested: false };
    const got: number[] = [];
    let yields = 0;
    // Step 1: yields after parts 1 and 2, then one between steps; the 4th is after step 2's first part.
    const r = await first.run({
      cancellation: flag,
      onStep: (m) => got.push(m.loss),
      yieldControl: async () => {
        if (++yields === 4) flag.isCancellationRequested = true;
      },
    });
    assert.deepEqual([r.reason, r.step, got.length], ['cancelled', 1, 1]);
    const resumed = new Trainer(first.model, ids, options, first.snapshot());
    await resumed.run({ onStep: (m) => got.push(m.loss) });
    assert.deepEqual(got, want);
    assert.deepEqual(bits(resumed), bits(straight));
  });
});
