/**
 * Benchmark child for `train_small` (BENCHMARKS.md): the `small` preset, batch 16, context
 * 128, the 96-symbol character vocabulary of the benchmark text, AdamW (clip 1), on one
 * engine: ours (Trainer.trainStep), tfjs-cpu or tfjs-wasm (test/reference/tfjsTransformer).
 * Every engine starts from the same initial weights (same seed).
 *
 * scripts/bench.mjs starts one of these per engine and drives them in lockstep over IPC —
 * a step of A, then of B, then of C, then A again — so load on the shared machine hits all
 * engines alike while each keeps its own heap (and its own peak RSS).
 * IPC protocol: child → {type:'ready', name}; parent → {type:'step'}; child →
 * {type:'stepped', ms, loss}; parent → {type:'finish'}; child → {type:'done', peak_rss_bytes}.
 *
 * Run directly (no IPC) it does --warmup N (3) then --steps N (10) on its own and prints a
 * BENCH_RESULT line.  Args: --engine ours|ours:N|tfjs-cpu|tfjs-wasm
 */

import { backend } from '../src/engine/kernels/activeBackend';
import { Transformer } from '../src/engine/nn/transformer';
import { Rng } from '../src/engine/random';
import { Trainer } from '../src/engine/train/trainer';
import { resolveTrainOptions } from '../src/engine/train/options';
import { benchText, charTokens, emitResult, intArg, median, parseArgs, peakRss, progress, smallConfig, weightsOf, startOurs } from './common';

const B = 16;
const T = 128;
const LR = 1e-3;

type StepFn = () => number;

async function setup(engine: string): Promise<{ name: string; vocab: number; step: StepFn }> {
  const { ids: tokens, vocab } = charTokens(benchText());
  const config = smallConfig(vocab.length);
  const model = Transformer.create(config, new Rng(1));
  const threads = startOurs(engine);
  if (threads !== null) {
    const options = resolveTrainOptions({
      steps: 1_000_000,
      batchSize: B,
      learningRate: LR,
      warmupSteps: 0,
      minLrRatio: 1,
      weightDecay: 0.1,
      gradClip: 1,
      evalInterval: 10_000_000,
      seed: 7,
    });
    const trainer = new Trainer(model, tokens, options);
    if (trainer.data.T !== T) throw new Error(`train_small needs windows of ${T}, the trainer uses ${trainer.data.T}`);
    return { name: `ours (${backend().name}, ${threads} thread${threads === 1 ? '' : 's'})`, vocab: vocab.length, step: () => trainer.trainStep().loss };
  }
  if (engine !== 'tfjs-cpu' && engine !== 'tfjs-wasm') throw new Error(`unknown engine "${engine}" (ours, tfjs-cpu, tfjs-wasm)`);
  // Loaded only for the tfjs engines, so our engine's process carries none of tfjs.
  const { TfjsTrainer, REF_ADAMW, useTfjsBackend } = await import('../test/reference/tfjsTransformer');
  await useTfjsBackend(engine === 'tfjs-cpu' ? 'cpu' : 'wasm');
  const trainer = new TfjsTrainer(config, weightsOf(model), { ...REF_ADAMW, weightDecay: 0.1, gradClip: 1 });
  const train = tokens.subarray(0, Math.floor(tokens.length * 0.9));
  const rng = new Rng(7);
  return {
    name: engine,
    vocab: vocab.length,
    step: () => {
      const { inputs, targets } = sample(train, rng);
      return trainer.step(inputs, targets, B, T, LR).loss;
    },
  };
}

/** B random windows of T + 1 tokens (inputs and next-token targets). */
function sample(train: Int32Array, rng: Rng): { inputs: Int32Array; targets: Int32Array } {
  const inputs = new Int32Array(B * T),
    targets = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const s = rng.int(train.length - T - 1);
    inputs.set(train.subarray(s, s + T), b * T);
    targets.set(train.subarray(s + 1, s + T + 1), b * T);
  }
  return { inputs, targets };
}

function timedStep(step: StepFn): { ms: number; loss: number } {
  const t0 = performance.now();
  const loss = step();
  const ms = performance.now() - t0;
  if (!Number.isFinite(loss)) throw new Error(`non-finite loss ${loss}`);
  return { ms, loss };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const engine = args.get('engine') ?? 'ours';
  const { name, vocab, step } = await setup(engine);

  if (process.send) {
    const send = process.send.bind(process);
    process.on('message', (msg: { type: string }) => {
      if (msg.type === 'step') {
        try {
          send({ type: 'stepped', ...timedStep(step) });
        } catch (e) {
          send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
        }
      } else if (msg.type === 'finish') {
        send({ type: 'done', peak_rss_bytes: peakRss() }, () => process.exit(0));
      }
    });
    send({ type: 'ready', name, vocab, batch: B, context: T });
    return;
  }

  const warmup = intArg(args, 'warmup', 3);
  const steps = intArg(args, 'steps', 10);
  const times: number[] = [],
    losses: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const r = timedStep(step);
    losses.push(r.loss);
    if (i >= warmup) times.push(r.ms);
    progress(`${i < warmup ? 'warm-up' : 'step'} ${i + 1} ${name}: ${r.ms.toFixed(0)} ms, loss ${r.loss.toFixed(4)}`);
  }
  const med = median(times);
  emitResult({
    workload: 'train_small',
    batch: B,
    context: T,
    vocab,
    engines: [
      {
        name,
        warmup,
        steps,
        median_ms: med,
        tokens_per_s: (B * T * 1000) / med,
        times_ms: times,
        first_loss: losses[0],
        last_loss: losses[losses.length - 1],
        peak_rss_bytes: peakRss(),
      },
    ],
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`train_small failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
