import assert from 'node:assert/strict';
import { parseCheckpoint, serializeCheckpoint } from '../../../../src/engine/checkpoint/native';
import { BufferPool } from '../../../../src/engine/buffers';
import { validateModelConfig, type ModelConfig } from '../../../../src/engine/models/config';
import { presetConfig } from '../../../../src/engine/models/presets';
import { Transformer } from '../../../../src/engine/nn/transformer';
import { Rng } from '../../../../src/engine/random';
import { CharTokenizer } from '../../../../src/engine/tokenizer/charTokenizer';
import { DatasetError } from '../../../../src/engine/train/data';
import { resolveTrainOptions, TrainOptionsError, type TrainOptions } from '../../../../src/engine/train/options';
import { Trainer, type StepMetrics } from '../../../../src/engine/train/trainer';
import { engineSourceText } from '../../../helpers/corpus';

function setup(preset: string, text: string, options: Partial<TrainOptions>, seed = 1): { trainer: Trainer; tok: CharTokenizer } {
  const tok = CharTokenizer.fromText(text);
  const opts = resolveTrainOptions({ seed, ...options });
  const model = Transformer.create(presetConfig(preset, tok.vocabSize), new Rng(opts.seed));
  return { trainer: new Trainer(model, tok.encode(text).ids, opts), tok };
}

async function losses(trainer: Trainer, steps?: number): Promise<number[]> {
  const out: number[] = [];
  const flag = { isCancellationRequested: false };
  await trainer.run({
    onStep: (m) => {
      out.push(m.loss);
      if (steps !== undefined && out.length >= steps) flag.isCancellationRequested = true;
    },
    cancellation: flag,
  });
  return out;
}

/** No reuse at all: every array is new, as without a pool. */
class FreshArrays extends BufferPool {
  override take(n: number): Float32Array {
    return new Float32Array(n);
  }
}

/** Reuses like the real pool, but fills what it takes back with NaN, so any later read shows. */
class PoisoningPool extends BufferPool {
  private out: Float32Array[] = [];
  override take(n: number): Float32Array {
    const a = super.take(n);
    this.out.push(a);
    return a;
  }
  override reclaim(): void {
    for (const a of this.out) a.fill(NaN);
    this.out = [];
    super.reclaim();
  }
}

describe('train/trainer', function () {
  this.timeout(120_000);

  it("reusing one step's arrays for the next changes no bit of training (GPT with dropout; Llama with RoPE, RMSNorm, SwiGLU, GQA)", () => {
    const text = engineSourceText(20_000);
    const tok = CharTokenizer.fromText(text);
    const gpt: ModelConfig = { ...presetConfig('tiny', tok.vocabSize), dropout: 0.1 };
    const llama = validateModelConfig({
      ...gpt,
      architecture: 'llama',
      norm: 'rmsnorm',
      positional: 'rope',
      mlp: 'swiglu',
      bias: false,
      nHeads: 4,
      nKvHeads: 2,
      mlpHidden: 96,
      dropout: 0,
    });
    for (const config of [gpt, llama]) {
      const options = resolveTrainOptions({ steps: 6, batchSize: 3, seed: 9 });
      const run = (pool: BufferPool): { losses: number[]; params: Float32Array[]; pool: BufferPool } => {
        const model = Transformer.create(config, new Rng(4));
        const trainer = new Trainer(model, tok.encode(text).ids, options, undefined, pool);
        const out: number[] = [];
        for (let i = 0; i < options.steps; i++) out.push(trainer.trainStep().loss);
        return { losses: out, params: model.parameters().map((p) => p.data), pool };
      };
      const fresh = run(new FreshArrays());
      const pooled = run(new BufferPool());
      const poisoned = run(new PoisoningPool());
      assert.ok(fresh.losses.every(Number.isFinite), `${config.architecture}: ${fresh.losses}`);
      assert.deepEqual(pooled.losses, fresh.losses, config.architecture);
      assert.deepEqual(poisoned.losses, fresh.losses, `${config.architecture}: an array was read after its step ended`);
      pooled.params.forEach((p, i) => assert.deepEqual(p, fresh.params[i], `${config.architecture} parameter ${i}`));
      poisoned.params.forEach((p, i) => assert.deepEqual(p, fresh.params[i], `${config.architecture} parameter ${i}`));
      assert.ok(pooled.pool.bytes > 0, "the pool held the step's arrays");
    }
  });

  it('tiny overfits a short text (training loss < 0.1)', async () => {
    const text = 'the cat sat on the mat. the dog sat on the log. ';
    const { trainer } = setup('tiny', text, { steps: 150, batchSize: 8, learningRate: 1e-2, warmupSteps: 10, validationFraction: 0, weightDecay: 0 });
    const l = await losses(trainer);
    const last = l.slice(-5).reduce((a, b) => a + b, 0) / 5;
    assert.ok(last < 0.1, `final loss ${last} (first ${l[0]})`);
  });

  for (const [preset, steps, batch] of [
    ['seed', 60, 8],
    ['small', 25, 2],
  ] as const) {
    it(`${preset} lowers the validation loss on a real text`, async () => {
      const { trainer } = setup(preset, engineSourceText(60_000), {
        steps,
        batchSize: batch,
        learningRate: 3e-3,
        warmupSteps: 5,
        evalInterval: steps,
        evalWindows: 8,
      });
      const before = trainer.evaluate()!;
      const result = await trainer.run();
      assert.equal(result.reason, 'completed');
      assert.ok(result.lastEval!.valLoss < before.valLoss - 0.5, `validation loss ${before.valLoss} → ${result.lastEval!.valLoss}`);
      assert.ok(result.lastEval!.valAccuracy > before.valAccuracy, `accuracy ${before.valAccuracy} → ${result.lastEval!.valAccuracy}`);
      assert.ok(Math.abs(result.lastEval!.valPerplexity - Math.exp(result.lastEval!.valLoss)) < 1e-9);
    });
  }

  it('the same seed gives the same losses; another seed gives others', async () => {
    const text = engineSourceText(20_000);
    const opts = { steps: 6, batchSize: 2 };
    const a = await losses(setup('tiny', text, opts, 5).trainer);
    const b = await losses(setup('tiny', text, opts, 5).trainer);
    const c = await losses(setup('tiny', text, opts, 6).trainer);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('reports step metrics: 1-based step, learning-rate warmup, finite grad norm, tokens/s', async () => {
    const { trainer } = setup('tiny', engineSourceText(20_000), { steps: 4, batchSize: 2, warmupSteps: 2, learningRate: 1e-3 });
    const seen: StepMetrics[] = [];
    await trainer.run({ onStep: (m) => seen.push(m) });
    assert.deepEqual(
      seen.map((m) => m.step),
      [1, 2, 3, 4],
    );
    assert.equal(seen[0]!.lr, 0.5e-3);
    assert.equal(seen[1]!.lr, 1e-3);
    assert.ok(seen.every((m) => m.gradNorm > 0 && Number.isFinite(m.gradNorm) && m.tokensPerSecond > 0));
  });

  it('stops within one step of a cancellation request', async () => {
    const { trainer } = setup('tiny', engineSourceText(20_000), { steps: 100, batchSize: 2 });
    const flag = { isCancellationRequested: false };
    let yields = 0;
    const result = await trainer.run({
      onStep: (m) => {
        if (m.step === 3) flag.isCancellationRequested = true;
      },
      yieldControl: async () => {
        yields++;
      },
      cancellation: flag,
    });
    assert.equal(result.reason, 'cancelled');
    assert.equal(result.step, 3);
    assert.equal(yields, 3);
  });

  it('stops at the first non-finite loss and keeps the last good parameters', async () => {
    const { trainer } = setup('tiny', engineSourceText(20_000), { steps: 10, batchSize: 2 });
    await losses(trainer, 2);
    const emb = trainer.model.params.get('blocks.0.attn.q.weight')!;
    emb.data[0] = NaN;
    const before = trainer.model.parameters().map((p) => p.data.slice());
    const steps: StepMetrics[] = [];
    const result = await trainer.run({ onStep: (m) => steps.push(m) });
    assert.equal(result.reason, 'diverged');
    assert.match(result.message!, /step 3: the loss is NaN/);
    assert.equal(steps.length, 1);
    assert.ok(Number.isNaN(steps[0]!.loss));
    trainer.model.parameters().forEach((p, i) => assert.deepEqual(p.data, before[i]));
  });

  it('resuming from a checkpoint at step k reproduces the uninterrupted run exactly', async () => {
    const text = engineSourceText(30_000);
    const opts = { steps: 8, batchSize: 2, evalInterval: 4, evalWindows: 2 };
    const full = await losses(setup('tiny', text, opts).trainer);

    const first = setup('tiny', text, opts);
    const head = await losses(first.trainer, 4);
    const bytes = serializeCheckpoint(first.trainer.model, first.tok.toJSON(), { options: first.trainer.options, state: first.trainer.snapshot() });
    const loaded = parseCheckpoint(bytes);
    assert.ok(loaded.training);
    const tok = CharTokenizer.fromJSON(loaded.tokenizer);
    const resumed = new Trainer(loaded.model, tok.encode(text).ids, loaded.training.options, loaded.training.state);
    assert.equal(resumed.step, 4);
    const tail = await losses(resumed);
    assert.deepEqual([...head, ...tail], full);
    assert.equal(resumed.history.steps.length, 8);
  });

  it('explains texts too short to train on and out-of-range options', () => {
    assert.throws(() => setup('tiny', 'ab', {}), DatasetError);
    assert.throws(() => setup('tiny', '', {}), /the text has 0 tokens; training needs at least 3/);
    assert.throws(() => resolveTrainOptions({ batchSize: 0 }), TrainOptionsError);
    assert.throws(() => resolveTrainOptions({ learningRate: Number.NaN }), /learningRate must be a number/);
  });

  it('trains on a text shorter than the context and on a single repeated character', async () => {
    const short = setup('tiny', 'abcabcabcab', { steps: 3, batchSize: 2 });
    assert.equal(short.trainer.data.T, short.trainer.data.train.length - 1);
    assert.equal((await short.trainer.run()).reason, 'completed');
    const same = setup('tiny', 'a'.repeat(500), { steps: 3, batchSize: 2 });
    assert.equal((await same.trainer.run()).reason, 'completed');
  });
});
