/**
 * Benchmark child for the debugging analyses, each timed beside one forward pass of the
 * same model on the same tokens (the ratio is what carries across machines):
 *
 * - `ablate_sweep`: stories260K (../shared/fixtures), a 200-token text (the benchmark
 *   text through its tokenizer), the head-ablation sweep at position 198 — 40 heads, one
 *   forward per head. Goal: under 1 s.
 * - `ig_small`: the `small` preset (fresh weights, seed 1) on 128 characters of the
 *   benchmark text, integrated gradients with 64 steps at the last position. Goal: under 2 s.
 *
 * Runs alternate forward, analysis, forward, analysis … so load on the shared machine falls
 * on both alike; medians after --warmup.  Args: --workload ablate_sweep|ig_small
 * [--warmup 1] [--reps 5]. Prints one BENCH_RESULT line.
 */

import fs from 'node:fs';
import path from 'node:path';
import { ablationSweep } from '../src/engine/analysis/ablationSweep';
import { integratedGradients } from '../src/engine/analysis/attribution';
import { parseLlama2cCheckpoint } from '../src/engine/checkpoint/llama2c';
import { backend } from '../src/engine/kernels/activeBackend';
import { Transformer } from '../src/engine/nn/transformer';
import { Rng } from '../src/engine/random';
import { Llama2cTokenizer } from '../src/engine/tokenizer/llama2cTokenizer';
import { benchText, charTokens, emitResult, intArg, median, parseArgs, peakRss, progress, smallConfig } from './common';

interface Workload {
  readonly model: Transformer;
  readonly ids: Int32Array;
  readonly detail: string;
  readonly goalMs: number;
  /** Runs the analysis; returns a number that depends on its result (so nothing is optimised away). */
  readonly run: () => number;
}

function setup(name: string): Workload {
  if (name === 'ablate_sweep') {
    const fixtures = process.env.ATTENTION_LENS_FIXTURES ?? path.resolve(__dirname, '../../shared/fixtures');
    const dir = path.join(fixtures, 'stories260K');
    const model = parseLlama2cCheckpoint(new Uint8Array(fs.readFileSync(path.join(dir, 'stories260K.bin'))));
    const tokenizer = Llama2cTokenizer.fromBytes(new Uint8Array(fs.readFileSync(path.join(dir, 'tok512.bin'))), model.config.vocabSize);
    const ids = tokenizer.encode(benchText(4000)).ids.slice(0, 200);
    if (ids.length !== 200) throw new Error(`the benchmark text gave ${ids.length} tokens, not 200`);
    const position = 198;
    return {
      model,
      ids,
      detail: `stories260K, T = 200, position ${position}, ${model.config.nLayers * model.config.nHeads} heads`,
      goalMs: 1000,
      run: () => ablationSweep(model, ids, position).effects[0]!,
    };
  }
  if (name === 'ig_small') {
    const { ids: tokens, vocab } = charTokens(benchText());
    const model = Transformer.create(smallConfig(vocab.length), new Rng(1));
    const ids = tokens.slice(0, 128);
    return {
      model,
      ids,
      detail: 'small preset, T = 128, position 127, 64 steps',
      goalMs: 2000,
      run: () => integratedGradients(model, ids, 127, { steps: 64 }).attributions[0]!,
    };
  }
  throw new Error(`unknown workload "${name}" (ablate_sweep, ig_small)`);
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const name = args.get('workload') ?? 'ablate_sweep';
  const warmup = intArg(args, 'warmup', 1);
  const reps = Math.max(1, intArg(args, 'reps', 5));
  const w = setup(name);
  const T = w.ids.length;
  const forward = (): number => w.model.forward(null, w.ids, 1, T).logits.data[0]!;
  const time = (f: () => number): number => {
    (globalThis as { gc?: () => void }).gc?.();
    const t0 = performance.now();
    const check = f();
    const ms = performance.now() - t0;
    if (!Number.isFinite(check)) throw new Error(`non-finite result ${check}`);
    return ms;
  };
  const fwd: number[] = [];
  const analysis: number[] = [];
  for (let i = 0; i < warmup + reps; i++) {
    const f = time(forward);
    const a = time(w.run);
    if (i >= warmup) {
      fwd.push(f);
      analysis.push(a);
    }
    progress(`${name} ${i < warmup ? 'warm-up' : 'run'} ${i + 1}: forward ${f.toFixed(1)} ms, analysis ${a.toFixed(0)} ms`);
  }
  const forwardMs = median(fwd);
  const analysisMs = median(analysis);
  emitResult({
    workload: name,
    backend: backend().name,
    detail: w.detail,
    warmup,
    runs: reps,
    forward_ms: forwardMs,
    analysis_ms: analysisMs,
    ratio: analysisMs / forwardMs,
    goal_ms: w.goalMs,
    forward_times_ms: fwd,
    analysis_times_ms: analysis,
    peak_rss_bytes: peakRss(),
  });
}

try {
  main();
} catch (e) {
  process.stderr.write(`debugAnalyses failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
}
