/**
 * Benchmark child for `snapshots_small`: what head snapshots (engine/train/snapshots.ts) cost a
 * `small` run — the train_small setup (batch 16, context 128, AdamW) on the benchmark text.
 *
 * - Memory: a 5,000-step run's snapshots at the default interval (steps / 50 = every 100: 50
 *   snapshots of a 64-token probe), and at every step (the recorder's bound: 64 kept, thinned),
 *   measured from the recorder's arrays; each is held once more by the extension host and once by
 *   the dashboard page (the same arrays, copied by the messages), so the total is three times it.
 *   Also the size of one `trainSnapshot` message as structured clone serialises it.
 * - Throughput: training steps and snapshots timed alternately (the machine's load hits both
 *   alike); the cost at an interval is one snapshot's median over that many steps' medians.
 *
 * Args: --steps N (timed steps, 10) --snapshots N (timed snapshots, 30). Prints a BENCH_RESULT line.
 */

import { serialize } from 'node:v8';
import { backend } from '../src/engine/kernels/activeBackend';
import { Transformer } from '../src/engine/nn/transformer';
import { Rng } from '../src/engine/random';
import { Trainer } from '../src/engine/train/trainer';
import { resolveTrainOptions } from '../src/engine/train/options';
import { headSnapshot, PROBE_TOKENS, SnapshotRecorder } from '../src/engine/train/snapshots';
import { benchText, charTokens, emitResult, intArg, median, parseArgs, peakRss, progress, smallConfig } from './common';

const RUN_STEPS = 5000;

const args = parseArgs(process.argv.slice(2));
const timedSteps = intArg(args, 'steps', 10);
const timedSnapshots = intArg(args, 'snapshots', 30);

const { ids: tokens, vocab } = charTokens(benchText());
const config = smallConfig(vocab.length);
const model = Transformer.create(config, new Rng(1));
const options = resolveTrainOptions({ steps: RUN_STEPS, batchSize: 16, learningRate: 1e-3, evalInterval: 10_000_000, seed: 7 });
const trainer = new Trainer(model, tokens, options);
const probe = tokens.slice(0, PROBE_TOKENS);

// Memory: the recorder of a 5,000-step run, fed the steps it records at (no training needed: the size does not depend on the weights).
const every = SnapshotRecorder.defaultEvery(RUN_STEPS);
const byDefault = new SnapshotRecorder(probe, every);
for (let step = every; step <= RUN_STEPS; step += every) byDefault.afterStep(model, step);
const everyStep = new SnapshotRecorder(probe, 1);
let taken = 0;
for (let step = 1; step <= RUN_STEPS; step++) if (everyStep.afterStep(model, step)) taken++;
const last = byDefault.list.at(-1)!;
const messageBytes = serialize({ type: 'trainSnapshot', id: 1, every, snapshot: last }).byteLength;
progress(
  `snapshots_small: ${byDefault.list.length} snapshots every ${every} steps hold ${(byDefault.bytes / 1e6).toFixed(1)} MB; every step: ${everyStep.list.length} kept (${taken} taken) = ${(everyStep.bytes / 1e6).toFixed(1)} MB`,
);

// Throughput: steps and snapshots alternately, after warm-up.
trainer.trainStep();
trainer.trainStep();
headSnapshot(model, probe, 0);
const stepMs: number[] = [];
const snapMs: number[] = [];
const perStep = Math.ceil(timedSnapshots / timedSteps);
for (let i = 0; i < timedSteps; i++) {
  let t0 = performance.now();
  trainer.trainStep();
  stepMs.push(performance.now() - t0);
  for (let j = 0; j < perStep && snapMs.length < timedSnapshots; j++) {
    t0 = performance.now();
    headSnapshot(model, probe, i);
    snapMs.push(performance.now() - t0);
  }
  progress(`snapshots_small: step ${i + 1}/${timedSteps}: ${stepMs.at(-1)!.toFixed(0)} ms; snapshot ${snapMs.at(-1)!.toFixed(1)} ms`);
}
const step = median(stepMs);
const snap = median(snapMs);
emitResult({
  workload: 'snapshots_small',
  backend: backend().name,
  run_steps: RUN_STEPS,
  probe_tokens: probe.length,
  layers: config.nLayers,
  heads: config.nHeads,
  default_every: every,
  default_snapshots: byDefault.list.length,
  default_bytes: byDefault.bytes,
  every_step_kept: everyStep.list.length,
  every_step_taken: taken,
  every_step_bytes: everyStep.bytes,
  message_bytes: messageBytes,
  step_median_ms: step,
  snapshot_median_ms: snap,
  overhead_default: snap / (every * step),
  overhead_every_step: snap / step,
  step_times_ms: stepMs,
  snapshot_times_ms: snapMs,
  peak_rss_bytes: peakRss(),
});
