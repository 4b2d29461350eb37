/**
 * Shared pieces of the benchmark children (bench/*.ts, started by scripts/bench.mjs): the
 * deterministic benchmark text and its character vocabulary, the `small` model shape,
 * argument parsing, statistics, and the one-line result protocol the parent reads.
 *
 * Each child prints progress to stderr and exactly one `BENCH_RESULT {json}` line to stdout.
 */

import { setComputeThreads } from '../src/engine/kernels/activeBackend';
import type { ModelConfig } from '../src/engine/models/config';
import { nodeThreadSpawner } from '../src/node/computeThreads';
import { presetConfig } from '../src/engine/models/presets';
import { Transformer } from '../src/engine/nn/transformer';
import { Rng } from '../src/engine/random';

export const RESULT_PREFIX = 'BENCH_RESULT ';

export function emitResult(result: unknown): void {
  process.stdout.write(RESULT_PREFIX + JSON.stringify(result) + '\n');
}

export function progress(msg: string): void {
  process.stderr.write(`  ${msg}\n`);
}

/** `--key value` and `--flag` pairs. */
export function parseArgs(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      out.set(a.slice(2), next);
      i++;
    } else out.set(a.slice(2), 'true');
  }
  return out;
}

export function intArg(args: Map<string, string>, key: string, fallback: number): number {
  const v = args.get(key);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${key} must be a non-negative integer, got ${v}`);
  return n;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const WORDS = (
  'the of and to in is was that for it with as on be at by this had not are but from or have an they which one you were her all she ' +
  'there would their we him been has when who will more no if out so said what up its about into than them can only other new some ' +
  'could time these two may then do first any my now such like our over man me even most made after also did many before must through ' +
  'back years where much your way well down should because each just those people how too little state good very make world still own ' +
  'see men work long get here between both life being under never day same another know while last might us great old year off come ' +
  'since against go came right used take three attention layer head token model weight query key value softmax gradient matrix vector ' +
  'train loss step batch window editor cursor heatmap residual stream embedding position context sequence'
).split(' ');

/**
 * A deterministic English-like text over exactly 96 symbols (printable ASCII and newline):
 * seeded sentences of common words with punctuation, numbers and code-like fragments, so
 * every run and every machine trains on the same tokens.
 */
export function benchText(length = 120_000, seed = 2024): string {
  const rng = new Rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const parts: string[] = [];
  let n = 0;
  const push = (s: string): void => {
    parts.push(s);
    n += s.length;
  };
  // Every symbol once, so the vocabulary is the full 96 whatever the seed.
  let all = '';
  for (let c = 32; c < 127; c++) all += String.fromCharCode(c);
  push(all + '\n');
  while (n < length) {
    const r = rng.uniform();
    if (r < 0.08) {
      push(
        `  const ${pick(WORDS)}_${rng.int(100)} = [${rng.int(1000)}, ${rng.int(10)}]; // ${pick(WORDS)} {${pick(WORDS)}} <${pick(WORDS)}> ${pick(['+', '-', '*', '/', '%', '&', '|', '^', '~', '=', '!', '?', '@', '#', '$', '\\', '`', "'", '"'])}\n`,
      );
      continue;
    }
    const words = 4 + rng.int(14);
    let s = '';
    for (let i = 0; i < words; i++) {
      let w = pick(WORDS);
      if (i === 0) w = w[0]!.toUpperCase() + w.slice(1);
      else if (rng.uniform() < 0.04) w = w.toUpperCase();
      else if (rng.uniform() < 0.05) w = String(rng.int(2030));
      s += (i ? ' ' : '') + w;
      if (i < words - 1 && rng.uniform() < 0.1) s += pick([',', ',', ';', ':', ' -', ' (' + pick(WORDS) + ')']);
    }
    s += pick(['.', '.', '.', '!', '?', '...']) + (rng.uniform() < 0.15 ? '\n\n' : ' ');
    push(s);
  }
  return parts.join('').slice(0, length);
}

/** Character-level tokens of the text: ids index the sorted set of its characters. */
export function charTokens(text: string): { ids: Int32Array; vocab: string[] } {
  const vocab = [...new Set(text)].sort();
  const index = new Map(vocab.map((c, i) => [c, i]));
  const ids = new Int32Array(text.length);
  for (let i = 0; i < text.length; i++) ids[i] = index.get(text[i]!)!;
  return { ids, vocab };
}

/** The `small` preset with the given vocabulary and, for the forward workloads, a longer context. */
export function smallConfig(vocabSize: number, contextLength?: number): ModelConfig {
  const c = presetConfig('small', vocabSize);
  return contextLength === undefined ? c : { ...c, contextLength };
}

/** Copies of a model's weights by parameter name (how the tfjs peers start from the same point). */
export function weightsOf(model: Transformer): Map<string, Float32Array> {
  return new Map([...model.params].map(([n, t]) => [n, t.data.slice()]));
}

/** Peak resident set size of this process so far, in bytes. */
export function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * Our engine as a bench engine name: "ours" runs on one compute thread, "ours:N" on N (the
 * engine's compute threads, started here as the CLI starts them). Returns the thread count,
 * or null when `engine` is not ours.
 */
export function startOurs(engine: string): number | null {
  const m = /^ours(?::(\d+))?$/.exec(engine);
  if (!m) return null;
  const want = m[1] ? Number(m[1]) : 1;
  const got = setComputeThreads(want, nodeThreadSpawner);
  if (got.threads !== want) throw new Error(`${want} compute threads were asked for, ${got.threads} started: ${got.fallbackReason}`);
  return got.threads;
}
