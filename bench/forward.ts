/**
 * Benchmark child for `forward_512` / `forward_2048` (BENCHMARKS.md): the `small` shape with
 * the position table sized to the context, batch 1, one full sequence of the benchmark text,
 * every attention weight [L][H][T][T] kept. One engine per process, so the peak RSS it
 * reports belongs to that engine alone.
 *
 * Driven by scripts/bench.mjs over IPC (same protocol as bench/trainSmall.ts: ready, step →
 * stepped {ms}, finish → done {peak_rss_bytes}) so engines' runs alternate; run directly it
 * does --warmup and --reps on its own and prints a BENCH_RESULT line.
 *
 * Args: --engine ours|ours:N|tfjs-wasm|tfjs-cpu  --T 512  --warmup 1  --reps 3
 */

import { backend } from '../src/engine/kernels/activeBackend';
import { Transformer } from '../src/engine/nn/transformer';
import { Rng } from '../src/engine/random';
import { benchText, charTokens, emitResult, intArg, median, parseArgs, peakRss, progress, smallConfig, weightsOf, startOurs } from './common';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const engine = args.get('engine') ?? 'ours';
  const T = intArg(args, 'T', 512);
  const warmup = intArg(args, 'warmup', 1);
  const reps = Math.max(1, intArg(args, 'reps', 3));

  const { ids: tokens, vocab } = charTokens(benchText());
  const config = smallConfig(vocab.length, T);
  const model = Transformer.create(config, new Rng(1));
  const ids = tokens.slice(0, T);
  const { nLayers: L, nHeads: H } = config;

  let run: () => Promise<number>; // returns a checksum of the kept attention, so nothing is optimised away
  let name: string;
  const threads = startOurs(engine);
  if (threads !== null) {
    name = `ours (${backend().name}, ${threads} thread${threads === 1 ? '' : 's'})`;
    run = async () => {
      const r = model.forward(null, ids, 1, T, { capture: { attention: true } });
      if (r.layers.length !== L || r.layers.some((l) => l.attention?.length !== H * T * T)) throw new Error('attention weights were not all kept');
      return r.layers.reduce((s, l) => s + l.attention![T * T - 1]!, 0);
    };
  } else if (engine === 'tfjs-wasm' || engine === 'tfjs-cpu') {
    name = engine;
    // Loaded only here, so the engine's process never carries tfjs in its RSS.
    const { referenceForwardWithAttention, useTfjsBackend } = await import('../test/reference/tfjsTransformer');
    await useTfjsBackend(engine === 'tfjs-wasm' ? 'wasm' : 'cpu');
    const weights = weightsOf(model);
    run = async () => {
      const r = referenceForwardWithAttention(config, weights, ids, 1, T);
      if (r.attention.length !== L || r.attention.some((a) => a.length !== H * T * T)) throw new Error('attention weights were not all kept');
      return r.attention.reduce((s, a) => s + a[T * T - 1]!, 0);
    };
  } else throw new Error(`unknown engine "${engine}" (ours, tfjs-wasm, tfjs-cpu)`);

  const baselineRss = peakRss();
  const timed = async (): Promise<number> => {
    // The previous run's kept weights are garbage now: collect them outside the timing, so
    // peak RSS is one run's, for every engine alike (children run with --expose-gc).
    (globalThis as { gc?: () => void }).gc?.();
    const t0 = performance.now();
    const check = await run();
    const ms = performance.now() - t0;
    if (!Number.isFinite(check)) throw new Error(`non-finite attention checksum ${check}`);
    return ms;
  };

  if (process.send) {
    const send = process.send.bind(process);
    process.on('message', (msg: { type: string }) => {
      if (msg.type === 'step') {
        timed().then(
          (ms) => send({ type: 'stepped', ms }),
          (e: unknown) => send({ type: 'error', message: e instanceof Error ? e.message : String(e) }),
        );
      } else if (msg.type === 'finish') {
        send({ type: 'done', peak_rss_bytes: peakRss() }, () => process.exit(0));
      }
    });
    send({ type: 'ready', name, T, baseline_rss_bytes: baselineRss, attention_bytes: L * H * T * T * 4 });
    return;
  }

  const times: number[] = [];
  let cold = NaN;
  for (let i = 0; i < warmup + reps; i++) {
    const ms = await timed();
    if (i === 0) cold = ms;
    if (i >= warmup) times.push(ms);
    progress(`forward_${T} ${name} ${i < warmup ? 'warm-up' : 'run'} ${i + 1}: ${ms.toFixed(0)} ms`);
  }
  emitResult({
    workload: `forward_${T}`,
    engine: name,
    T,
    warmup,
    runs: times.length,
    median_ms: median(times),
    cold_ms: cold,
    times_ms: times,
    baseline_rss_bytes: baselineRss,
    peak_rss_bytes: peakRss(),
    attention_bytes: L * H * T * T * 4,
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`forward failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
