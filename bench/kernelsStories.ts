/**
 * `stories260K_attention_500` (BENCHMARKS.md): the llama2.c stories260K fixture loaded once,
 * then attention (every layer and head) for a 500-token text; latency after load, median.
 *
 *   node --import tsx bench/kernelsStories.ts [--reps 20] [--relaxed] [--backend js|wasm|auto]
 */

import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { backendStatus, selectBackend } from '../src/engine/kernels/activeBackend';
import { parseLlama2cCheckpoint } from '../src/engine/checkpoint/llama2c';
import { emitResult, median, parseArgs, peakRss, progress } from './common';

const args = parseArgs(process.argv.slice(2));
if (args.has('relaxed')) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const choice = (args.get('backend') ?? 'auto') as 'js' | 'wasm' | 'auto';
selectBackend(choice);
const reps = Number(args.get('reps') ?? 20);
const fixtures = process.env.ATTENTION_LENS_FIXTURES ?? path.resolve(__dirname, '../../shared/fixtures');
const model = parseLlama2cCheckpoint(new Uint8Array(fs.readFileSync(path.join(fixtures, 'stories260K/stories260K.bin'))));
const vocab = model.config.vocabSize;
// A deterministic 500-token text: token ids spread over the vocabulary after BOS (1).
const T = 500;
const ids = new Int32Array(T);
ids[0] = 1;
for (let t = 1; t < T; t++) ids[t] = 3 + ((t * 7919) % (vocab - 3));

const times: number[] = [];
for (let r = 0; r < reps + 2; r++) {
  const t0 = performance.now();
  const out = model.forward(null, ids, 1, T, { capture: { attention: true } });
  const ms = performance.now() - t0;
  if (out.layers.some((l) => !l.attention)) throw new Error('attention was not kept');
  if (r >= 2) times.push(ms);
}
const s = backendStatus();
const med = median(times);
progress(`stories260K_attention_500 (${s.name}): median ${med.toFixed(1)} ms over ${reps}`);
emitResult({ workload: 'stories260K_attention_500', backend: s.name, T, median_ms: med, times_ms: times, peak_rss_bytes: peakRss() });
