/**
 * Benchmark child for `train_small` (BENCHMARKS.md): the `small` preset, batch 16, context
 * 128, the 96-symbol character vocabulary of the benchmark text, AdamW (+ clip 1), on our
 * engine (Trainer.trainStep), tfjs-backend-cpu and tfjs-backend-wasm — one process, all
 * engines starting from the same initial weights, steps interleaved A B C A B C … so that
 * load on the shared machine hits every engine alike.
 *
 * Args: --warmup N (3)  --steps N (10)  --cpu-warmup N  --cpu-steps N (tfjs-cpu is ~30×
 * slower than the others; fewer of its steps keep a full run within minutes)
 * --engines ours,tfjs-cpu,tfjs-wasm
 */

import { backend } from '../src/engine/kernels/backend';
import { Transformer } from '../src/engine/nn/transformer';
import { Rng } from '../src/engine/random';
import { Trainer } from '../src/engine/train/trainer';
import { resolveTrainOptions } from '../src/engine/train/options';
import { TfjsTrainer, REF_ADAMW, tf, useTfjsBackend } from '../test/reference/tfjsTransformer';
import { benchText, charTokens, emitResult, intArg, median, parseArgs, progress, smallConfig, weightsOf } from './common';

const B = 16;
const T = 128;
const LR = 1e-3;

interface Engine {
  readonly name: string;
  readonly warmup: number;
  readonly steps: number;
  readonly times: number[];
  readonly losses: number[];
  step(): Promise<number>;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const warmup = intArg(args, 'warmup', 3);
  const steps = intArg(args, 'steps', 10);
  const cpuWarmup = intArg(args, 'cpu-warmup', warmup);
  const cpuSteps = intArg(args, 'cpu-steps', steps);
  const wanted = (args.get('engines') ?? 'ours,tfjs-cpu,tfjs-wasm').split(',');

  const { ids: tokens, vocab } = charTokens(benchText());
  const config = smallConfig(vocab.length);
  const model = Transformer.create(config, new Rng(1));
  const weights = weightsOf(model); // taken before any step: every engine starts here
  const train = tokens.subarray(0, Math.floor(tokens.length * 0.9));

  const engines: Engine[] = [];
  if (wanted.includes('ours')) {
    const options = resolveTrainOptions({ steps: 1_000_000, batchSize: B, learningRate: LR, warmupSteps: 0, minLrRatio: 1, weightDecay: 0.1, gradClip: 1, evalInterval: 10_000_000, seed: 7 });
    const trainer = new Trainer(model, tokens, options);
    if (trainer.data.T !== T) throw new Error(`train_small needs windows of ${T}, the trainer uses ${trainer.data.T}`);
    engines.push(mk(`ours (${backend().name})`, warmup, steps, async () => trainer.trainStep().loss));
  }
  for (const name of ['cpu', 'wasm'] as const) {
    if (!wanted.includes(`tfjs-${name}`)) continue;
    await useTfjsBackend(name);
    const trainer = new TfjsTrainer(config, weights, { ...REF_ADAMW, weightDecay: 0.1, gradClip: 1 });
    const rng = new Rng(7);
    engines.push(mk(`tfjs-${name}`, name === 'cpu' ? cpuWarmup : warmup, name === 'cpu' ? cpuSteps : steps, async () => {
      if (tf.getBackend() !== name) await tf.setBackend(name);
      const { inputs, targets } = sample(train, rng);
      return trainer.step(inputs, targets, B, T, LR).loss;
    }));
  }

  progress(`train_small: ${engines.map((e) => `${e.name} ${e.warmup}+${e.steps}`).join(', ')} steps (warm-up + timed), interleaved`);
  const rounds = Math.max(...engines.map((e) => e.warmup + e.steps));
  for (let r = 0; r < rounds; r++) {
    for (const e of engines) {
      if (r >= e.warmup + e.steps) continue;
      const t0 = performance.now();
      const loss = await e.step();
      const ms = performance.now() - t0;
      if (!Number.isFinite(loss)) throw new Error(`${e.name}: loss ${loss} at step ${r + 1}`);
      e.losses.push(loss);
      if (r >= e.warmup) e.times.push(ms);
      progress(`${r < e.warmup ? 'warm-up' : 'step'} ${r + 1} ${e.name}: ${ms.toFixed(0)} ms, loss ${loss.toFixed(4)}`);
    }
  }

  emitResult({
    workload: 'train_small',
    batch: B,
    context: T,
    vocab: vocab.length,
    engines: engines.map((e) => {
      const med = median(e.times);
      return { name: e.name, warmup: e.warmup, steps: e.times.length, median_ms: med, tokens_per_s: (B * T * 1000) / med, times_ms: e.times, first_loss: e.losses[0], last_loss: e.losses[e.losses.length - 1] };
    }),
  });
}

function mk(name: string, warmup: number, steps: number, step: () => Promise<number>): Engine {
  return { name, warmup, steps, times: [], losses: [], step };
}

/** B random windows of T + 1 tokens (inputs and next-token targets). */
function sample(train: Int32Array, rng: Rng): { inputs: Int32Array; targets: Int32Array } {
  const inputs = new Int32Array(B * T), targets = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const s = rng.int(train.length - T - 1);
    inputs.set(train.subarray(s, s + T), b * T);
    targets.set(train.subarray(s + 1, s + T + 1), b * T);
  }
  return { inputs, targets };
}

main().catch((e: unknown) => {
  process.stderr.write(`train_small failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
