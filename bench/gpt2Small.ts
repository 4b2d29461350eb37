/**
 * The `gpt2_small_1024` workload (BENCHMARKS.md): a Hugging Face folder shaped like GPT-2 small
 * (12 layers × 12 heads, n_embd 768, 1,024 positions, vocabulary 50,257; random weights, F32:
 * 475 MB), made here once into the temp folder, then our CLI as a user runs it on 1,024 token
 * ids: `attention --out FILE.safetensors` (every weight [12, 12, 1024, 1024] kept: 576 MB) and
 * `heads`. Whole-process wall time and peak RSS (/usr/bin/time -f %M), median of --reps runs.
 *
 *   node dist/bench/gpt2Small.js [--reps 3] [--cli dist/cli.js]
 */

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serializeSafetensors, type TensorToWrite } from '../src/engine/checkpoint/safetensorsWriter';
import { Rng } from '../src/engine/random';
import { emitResult, intArg, median, parseArgs, progress } from './common';

const root = path.resolve(__dirname, '../..');
const args = parseArgs(process.argv.slice(2));
const reps = Math.max(1, intArg(args, 'reps', 3));
const cli = path.resolve(root, args.get('cli') ?? 'dist/cli.js');
const TIME = '/usr/bin/time';

const L = 12,
  H = 12,
  C = 768,
  T = 1024,
  V = 50257;

const CONFIG = {
  architectures: ['GPT2Model'],
  model_type: 'gpt2',
  activation_function: 'gelu_new',
  n_embd: C,
  n_head: H,
  n_layer: L,
  n_positions: T,
  n_inner: null,
  vocab_size: V,
  layer_norm_epsilon: 1e-5,
  torch_dtype: 'float32',
};

/** GPT2Model's tensors (Conv1D weights stored [in, out]), N(0, 0.02) weights, unit norms, zero biases. */
function gpt2Tensors(): TensorToWrite[] {
  const rng = new Rng(124);
  const normal = (n: number): Float32Array => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = 0.02 * rng.normal();
    return a;
  };
  const ones = (n: number): Float32Array => new Float32Array(n).fill(1);
  const list: TensorToWrite[] = [
    { name: 'wte.weight', shape: [V, C], data: normal(V * C) },
    { name: 'wpe.weight', shape: [T, C], data: normal(T * C) },
    { name: 'ln_f.weight', shape: [C], data: ones(C) },
    { name: 'ln_f.bias', shape: [C], data: new Float32Array(C) },
  ];
  for (let l = 0; l < L; l++) {
    const h = `h.${l}.`;
    list.push(
      { name: `${h}ln_1.weight`, shape: [C], data: ones(C) },
      { name: `${h}ln_1.bias`, shape: [C], data: new Float32Array(C) },
      { name: `${h}attn.c_attn.weight`, shape: [C, 3 * C], data: normal(C * 3 * C) },
      { name: `${h}attn.c_attn.bias`, shape: [3 * C], data: new Float32Array(3 * C) },
      { name: `${h}attn.c_proj.weight`, shape: [C, C], data: normal(C * C) },
      { name: `${h}attn.c_proj.bias`, shape: [C], data: new Float32Array(C) },
      { name: `${h}ln_2.weight`, shape: [C], data: ones(C) },
      { name: `${h}ln_2.bias`, shape: [C], data: new Float32Array(C) },
      { name: `${h}mlp.c_fc.weight`, shape: [C, 4 * C], data: normal(C * 4 * C) },
      { name: `${h}mlp.c_fc.bias`, shape: [4 * C], data: new Float32Array(4 * C) },
      { name: `${h}mlp.c_proj.weight`, shape: [4 * C, C], data: normal(4 * C * C) },
      { name: `${h}mlp.c_proj.bias`, shape: [C], data: new Float32Array(C) },
    );
  }
  return list;
}

/** The folder, made once per machine (a stamp holds the config it was made for). */
function modelFolder(): string {
  const dir = path.join(os.tmpdir(), 'attention-lens-bench-gpt2-small');
  const stamp = path.join(dir, 'made.json');
  const want = JSON.stringify(CONFIG);
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === want) return dir;
  progress('gpt2_small_1024: writing a GPT-2 small-shaped folder (475 MB) into the temp folder');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(CONFIG, null, 2));
  fs.writeFileSync(path.join(dir, 'model.safetensors'), serializeSafetensors(gpt2Tensors(), { format: 'pt' }));
  fs.writeFileSync(stamp, want);
  return dir;
}

interface Run {
  readonly ms: number;
  readonly rssBytes: number;
}

function timed(argv: readonly string[]): Run {
  const full = fs.existsSync(TIME) ? [TIME, '-f', 'MAXRSS_KB %M', process.execPath, cli, ...argv] : [process.execPath, cli, ...argv];
  const t0 = performance.now();
  const r = spawnSync(full[0]!, full.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`attention-lens ${argv[0]} failed (${r.status}): ${r.stderr.trim().split('\n').pop()}`);
  const kb = /MAXRSS_KB (\d+)/.exec(r.stderr)?.[1];
  return { ms, rssBytes: kb ? Number(kb) * 1024 : NaN };
}

function main(): void {
  const dir = modelFolder();
  const rng = new Rng(7);
  const ids = Array.from({ length: T }, () => rng.int(V)).join(',');
  const out = path.join(os.tmpdir(), `attention-lens-bench-gpt2-${process.pid}.safetensors`);
  const commands: [string, string[]][] = [
    ['attention --out', ['attention', '--checkpoint', dir, '--ids', ids, '--out', out]],
    ['heads', ['heads', '--checkpoint', dir, '--ids', ids]],
  ];
  const runs = new Map<string, Run[]>(commands.map(([name]) => [name, []]));
  try {
    for (let r = 0; r < reps; r++) {
      for (const [name, argv] of commands) {
        const run = timed(argv);
        runs.get(name)!.push(run);
        progress(`gpt2_small_1024 ${name} run ${r + 1}/${reps}: ${Math.round(run.ms)} ms, peak RSS ${Math.round(run.rssBytes / 2 ** 20)} MB`);
      }
    }
    const outBytes = fs.statSync(out).size;
    emitResult({
      workload: 'gpt2_small_1024',
      layers: L,
      heads: H,
      tokens: T,
      weights_bytes: fs.statSync(path.join(dir, 'model.safetensors')).size,
      attention_file_bytes: outBytes,
      commands: commands.map(([name]) => {
        const rs = runs.get(name)!;
        return { command: name, runs: rs.length, median_ms: median(rs.map((x) => x.ms)), peak_rss_bytes: Math.max(...rs.map((x) => x.rssBytes)) };
      }),
    });
  } finally {
    fs.rmSync(out, { force: true });
  }
}

main();
