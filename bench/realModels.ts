/**
 * The `real` workload (BENCHMARKS.md `stories15M_decode`, `stories15M_startup`,
 * `stories15M_prompt_256`, and stories260K decode): our CLI beside llama2.c's run.c
 * (../shared/peers/llama2c, built here into dist/bench/llama2c, never committed), on the real
 * models in ../shared/fixtures, interleaved run by run (ours, run.c, ours, run.c …).
 *
 * - decode tokens/s = (N − 1) / (time(N tokens) − time(1 token)), whole-process wall times,
 *   greedy (temperature 0), the same prompt; both stop nowhere before N (checked: the
 *   greedy continuations reach BOS later than N).
 * - start-up = the whole process for 1 token (load, prompt, first token); peak RSS of the
 *   N-token runs (/usr/bin/time -f %M).
 * - prompt 256: one forward of ours over 256 tokens keeping every attention weight, in this
 *   process after load (median); run.c's time to read the same prompt = its whole-process time
 *   with -n 256 minus with -n 1, scaled to 256 positions.
 *
 *   node dist/bench/realModels.js [--reps 5] [--cli dist/cli.js] [--threads N]
 */

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseLlama2cCheckpoint } from '../src/engine/checkpoint/llama2c';
import { backendStatus } from '../src/engine/kernels/activeBackend';
import { Llama2cTokenizer } from '../src/engine/tokenizer/llama2cTokenizer';
import { emitResult, intArg, median, parseArgs, progress } from './common';
import { enableRelaxedSimd } from '../src/node/relaxedSimd';

const root = path.resolve(__dirname, '../..');
const args = parseArgs(process.argv.slice(2));
const reps = Math.max(1, intArg(args, 'reps', 5));
const cli = path.resolve(root, args.get('cli') ?? 'dist/cli.js');
const fixtures = process.env.ATTENTION_LENS_FIXTURES ?? path.resolve(root, '../shared/fixtures');
const peerSource = path.resolve(root, '../shared/peers/llama2c/run.c');
const TIME = '/usr/bin/time';
const haveTime = fs.existsSync(TIME);
const PROMPT = 'Once upon a time';
/** Tokens BOS + "Once upon a time" encodes to (run.c counts them in its -n steps). */
const PROMPT_TOKENS = 5;

interface Run {
  readonly ms: number;
  readonly rssBytes: number;
  /** run.c's own "achieved tok/s" (its timer starts after the first token), NaN for ours. */
  readonly selfTokS: number;
}

/** Builds run.c as its README says (one thread), into an ignored folder; reuses a build of the same source. */
function buildPeer(): string {
  const out = path.join(root, 'dist/bench/llama2c');
  fs.mkdirSync(out, { recursive: true });
  const exe = path.join(out, 'run');
  const stamp = path.join(out, 'run.stamp');
  const want = `${fs.statSync(peerSource).mtimeMs} ${fs.statSync(peerSource).size}`;
  if (fs.existsSync(exe) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === want) return exe;
  const r = spawnSync('gcc', ['-O3', '-march=native', '-ffast-math', '-o', exe, peerSource, '-lm'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc could not build run.c (install gcc): ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`);
  fs.writeFileSync(stamp, want);
  return exe;
}

/** One whole process, timed from here; its peak RSS from /usr/bin/time when present. */
function timed(cmd: string, argv: readonly string[], check: (stdout: string) => void): Run {
  const full = haveTime ? [TIME, '-f', 'MAXRSS_KB %M', cmd, ...argv] : [cmd, ...argv];
  const t0 = performance.now();
  const r = spawnSync(full[0]!, full.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${argv.join(' ')} failed (${r.status}): ${r.stderr.trim().split('\n').pop()}`);
  check(r.stdout);
  const kb = /MAXRSS_KB (\d+)/.exec(r.stderr)?.[1];
  const self = /achieved tok\/s: ([0-9.]+)/.exec(r.stderr)?.[1];
  return { ms, rssBytes: kb ? Number(kb) * 1024 : NaN, selfTokS: self ? Number(self) : NaN };
}

interface Model {
  readonly name: string;
  readonly bin: string;
  readonly tok: string;
  readonly n: number;
}

function ours(m: Model, tokens: number): Run {
  const threads = args.get('threads');
  return timed(
    process.execPath,
    [
      cli,
      'generate',
      '--checkpoint',
      m.bin,
      '--tokenizer',
      m.tok,
      '--prompt',
      PROMPT,
      '--max-tokens',
      String(tokens),
      '--temperature',
      '0',
      ...(threads ? ['--threads', threads] : []),
    ],
    (out) => {
      if (!out.startsWith(PROMPT)) throw new Error(`our generate printed ${JSON.stringify(out.slice(0, 60))}`);
    },
  );
}

function peer(exe: string, m: Model, steps: number, prompt = PROMPT): Run {
  return timed(exe, [m.bin, '-z', m.tok, '-t', '0', '-n', String(steps), '-i', prompt], (out) => {
    if (!out.startsWith(prompt.split(' ')[0]!)) throw new Error(`run.c printed ${JSON.stringify(out.slice(0, 60))}`);
  });
}

/** Decode and start-up of one model, interleaved: ours(1), run.c(1), ours(N), run.c(N), repeated. */
function decode(exe: string, m: Model) {
  const runs = { ours1: [] as Run[], peer1: [] as Run[], oursN: [] as Run[], peerN: [] as Run[] };
  for (let r = 0; r < reps; r++) {
    runs.ours1.push(ours(m, 1));
    runs.peer1.push(peer(exe, m, PROMPT_TOKENS + 1));
    runs.oursN.push(ours(m, m.n));
    runs.peerN.push(peer(exe, m, PROMPT_TOKENS + m.n));
    progress(
      `${m.name} rep ${r + 1}/${reps}: ours 1 → ${runs.ours1[r]!.ms.toFixed(0)} ms, ${m.n} → ${runs.oursN[r]!.ms.toFixed(0)} ms; run.c 1 → ${runs.peer1[r]!.ms.toFixed(0)} ms, ${m.n} → ${runs.peerN[r]!.ms.toFixed(0)} ms`,
    );
  }
  const med = (xs: Run[], f: (r: Run) => number) => median(xs.map(f));
  const tokS = (one: Run[], many: Run[]) => (m.n - 1) / ((med(many, (r) => r.ms) - med(one, (r) => r.ms)) / 1000);
  const o = {
    tokens_per_s: tokS(runs.ours1, runs.oursN),
    startup_ms: med(runs.ours1, (r) => r.ms),
    peak_rss_bytes: med(runs.oursN, (r) => r.rssBytes),
    times_1_ms: runs.ours1.map((r) => r.ms),
    times_n_ms: runs.oursN.map((r) => r.ms),
  };
  const p = {
    tokens_per_s: tokS(runs.peer1, runs.peerN),
    startup_ms: med(runs.peer1, (r) => r.ms),
    peak_rss_bytes: med(runs.peerN, (r) => r.rssBytes),
    self_reported_tokens_per_s: med(runs.peerN, (r) => r.selfTokS),
    times_1_ms: runs.peer1.map((r) => r.ms),
    times_n_ms: runs.peerN.map((r) => r.ms),
  };
  return { model: m.name, tokens: m.n, file_bytes: fs.statSync(m.bin).size, ours: o, run_c: p };
}

/**
 * Ours: one 256-token forward with every attention weight kept (after load, median of reps).
 * run.c: the same prompt text as -i, -n 256 minus -n 1, per position × 256.
 */
function prompt256(exe: string, m: Model) {
  enableRelaxedSimd();
  const tokenizer = Llama2cTokenizer.fromBytes(new Uint8Array(fs.readFileSync(m.tok)), 32000);
  // A story-like text long enough for 256 tokens; the words are cut where the encoding reaches 255 (+ BOS).
  const base =
    'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends. One day, she saw a big red ball under a tree. ' +
    'She ran to the ball and picked it up. It was soft and round. Lily wanted to share the ball with her friend Tom, so she walked to his house. ';
  const words = base.repeat(8).split(' ');
  let text = '';
  for (const w of words) {
    const next = text ? `${text} ${w}` : w;
    if (tokenizer.encode(next).ids.length > 256) break;
    text = next;
  }
  const ids = tokenizer.encode(text).ids;
  const model = parseLlama2cCheckpoint(new Uint8Array(fs.readFileSync(m.bin)));
  const times: number[] = [];
  const peerFull: number[] = [];
  const peerOne: number[] = [];
  for (let r = 0; r < reps + 1; r++) {
    const t0 = performance.now();
    const out = model.forward(null, ids, 1, ids.length, { capture: { attention: true } });
    const ms = performance.now() - t0;
    if (out.layers.some((l) => !l.attention)) throw new Error('attention was not kept');
    if (r > 0) times.push(ms);
    peerFull.push(peer(exe, m, 256, text).ms);
    peerOne.push(peer(exe, m, 1, text).ms);
  }
  const oursMs = median(times);
  const peerMs = ((median(peerFull) - median(peerOne)) * ids.length) / (256 - 1);
  progress(`prompt ${ids.length}: ours ${oursMs.toFixed(0)} ms (${backendStatus().name}), run.c ${peerMs.toFixed(0)} ms`);
  return { tokens: ids.length, ours_ms: oursMs, run_c_ms: peerMs, ours_times_ms: times, backend: backendStatus().name };
}

function main(): void {
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run npm run build`);
  const models: Model[] = [
    { name: 'stories15M', bin: path.join(fixtures, 'stories15M/stories15M.bin'), tok: path.join(fixtures, 'stories15M/tokenizer.bin'), n: 200 },
    { name: 'stories260K', bin: path.join(fixtures, 'stories260K/stories260K.bin'), tok: path.join(fixtures, 'stories260K/tok512.bin'), n: 300 },
  ];
  for (const m of models) if (!fs.existsSync(m.bin)) throw new Error(`${m.bin} is missing (../shared/fixtures)`);
  const exe = buildPeer();
  progress(`run.c built at ${path.relative(root, exe)}; ${reps} interleaved reps per figure${haveTime ? '' : ' (no /usr/bin/time: no RSS)'}`);
  const decodes = models.map((m) => decode(exe, m));
  const prompt = prompt256(exe, models[0]!);
  emitResult({ workload: 'real', reps, decode: decodes, prompt_256: prompt });
}

main();
