/**
 * `tokenize_llama2c_100k`: the llama2.c tokenizer (tok512.bin from the stories260K fixture)
 * encoding a 100 KB document of TinyStories words with emoji and newlines; median over reps.
 * This is the timing the unit test used to assert (test/unit/engine/tokenizer): the test now
 * counts vocabulary look-ups instead, and the time is measured here.
 *
 *   node --import tsx bench/tokenizeLlama2c.ts [--reps 10]
 */

import fs from 'node:fs';
import path from 'node:path';
import { Llama2cTokenizer } from '../src/engine/tokenizer/llama2cTokenizer';
import { emitResult, median, parseArgs, peakRss, progress } from './common';

const args = parseArgs(process.argv.slice(2));
const reps = Number(args.get('reps') ?? 10);
const fixtures = process.env.ATTENTION_LENS_FIXTURES ?? path.resolve(__dirname, '../../shared/fixtures');
const dir = path.join(fixtures, 'stories260K');
const tok = Llama2cTokenizer.fromBytes(new Uint8Array(fs.readFileSync(path.join(dir, 'tok512.bin'))), 512);
const greedy = JSON.parse(fs.readFileSync(path.join(dir, 'greedy_generations.json'), 'utf8')) as { cases: { text: string }[] };
const words = greedy.cases.flatMap((c) => c.text.split(/\s+/)).filter((w) => w.length > 0);

// The unit test's document: a seeded LCG picks words; one in twenty ends with an emoji and a newline.
let s = 7;
const rand = (): number => {
  s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
  return s / 2 ** 32;
};
const parts: string[] = [];
let length = 0;
while (length < 100_000) {
  const w = words[Math.floor(rand() * words.length)]! + (rand() < 0.05 ? '🙂\n' : ' ');
  parts.push(w);
  length += w.length;
}
const text = parts.join('');

const times: number[] = [];
let tokens = 0;
for (let r = 0; r < reps + 1; r++) {
  const t0 = performance.now();
  tokens = tok.encode(text).ids.length;
  const ms = performance.now() - t0;
  if (r >= 1) times.push(ms);
}
const med = median(times);
progress(`tokenize_llama2c_100k: ${text.length} characters → ${tokens} tokens, median ${med.toFixed(1)} ms over ${reps}`);
emitResult({ workload: 'tokenize_llama2c_100k', chars: text.length, tokens, median_ms: med, times_ms: times, peak_rss_bytes: peakRss() });
