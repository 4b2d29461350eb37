#!/usr/bin/env node
/**
 * `npm run bench`: the workloads of design/BENCHMARKS.md, engine against its peers, in one
 * run. Prints the machine, then tables of medians and ratios.
 *
 *   npm run bench [-- --quick] [-- --json] [-- --only train_small,forward_512,forward_2048,threads_scaling,matmul,stories260K_attention_500,ablate_sweep,ig_small,tokenize_llama2c_100k,snapshots_small,gpt2_small_1024,editor,real]
 *
 * --quick   fewer steps and runs, no forward_2048, matmul up to N = 512 (under 2 minutes)
 * --json    one JSON object on stdout (progress still goes to stderr)
 * editor    (in --only) the in-editor workloads, run in a real VS Code extension host
 * real      stories15M/260K beside llama2.c run.c (gcc needed; [-- --threads N] for ours)
 * gpt2_small_1024  our CLI on a GPT-2 small-shaped folder (475 MB, made once in the temp folder)
 *
 * Every engine runs in its own child process (bench/*.ts, bundled), so its peak RSS is its
 * own and no engine's heap slows another's GC. For train_small and forward_N the children
 * start together, then the parent drives them in lockstep over IPC — one step (or forward
 * pass) of ours, then of each peer, repeat — so the shared machine's load falls on all alike.
 * threads_scaling runs ours on 1 and 2 compute threads alone, alternating, for the ratio.
 *
 * Full run (~6–9 minutes on 2 loaded cores): train_small 3 warm-up + 10 timed steps for ours
 * and tfjs-wasm, 1 + 3 for tfjs-cpu (several times slower than the others: its full protocol
 * alone would take ~10 minutes); forward_512 1 + 5 runs, forward_2048 1 + 2; matmul to 1024.
 */

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const json = argv.includes('--json');
const quick = argv.includes('--quick');
const onlyIdx = argv.indexOf('--only');
const only = onlyIdx >= 0 && argv[onlyIdx + 1] ? new Set(argv[onlyIdx + 1].split(',')) : null;
const want = (name) => !only || only.has(name);
const RESULT_PREFIX = 'BENCH_RESULT ';

const PLAN = quick
  ? {
      train: { warmup: 1, steps: 2, cpuWarmup: 0, cpuSteps: 1 },
      f512: { warmup: 1, reps: 2 },
      f2048: null,
      matmul: { sizes: [64, 128, 256, 512], targetMs: 100 },
    }
  : {
      train: { warmup: 3, steps: 10, cpuWarmup: 1, cpuSteps: 3 },
      f512: { warmup: 3, reps: 5 },
      f2048: { warmup: 1, reps: 2 },
      matmul: { sizes: [64, 128, 256, 512, 1024], targetMs: 300 },
    };

const log = (s = '') => {
  if (!json) process.stdout.write(s + '\n');
};

/**
 * Flags for every child: relaxed SIMD as VS Code (Electron) and Node 22+ have it on, so our
 * engine runs the kernels it runs in the product (Node 20 refuses the flag in NODE_OPTIONS);
 * gc() so a workload can collect between runs outside its timing.
 */
const NODE_FLAGS = [...(Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-wasm-relaxed-simd'] : []), '--expose-gc'];

/**
 * The children run from esbuild bundles (dist/bench/*.js), not through the tsx loader: a
 * loader's own ~90 MB would otherwise count in every engine's peak RSS.
 */
const BENCH_OUT = path.join(root, 'dist', 'bench');
const childScript = (file) => path.join(BENCH_OUT, file.replace(/\.ts$/, '.js'));
const CHILD_ENV = { ...process.env, ATTENTION_LENS_FIXTURES: process.env.ATTENTION_LENS_FIXTURES ?? path.resolve(root, '../shared/fixtures') };

async function bundleChildren() {
  const esbuild = await import('esbuild');
  const entries = readdirSync(path.join(root, 'bench')).filter((f) => f.endsWith('.ts') && f !== 'common.ts');
  await esbuild.build({
    entryPoints: entries.map((f) => path.join(root, 'bench', f)),
    outdir: BENCH_OUT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
}

/** Runs `node dist/bench/<file>.js args`; progress passes through to stderr; resolves with its result object. */
function child(file, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...NODE_FLAGS, childScript(file), ...args], { cwd: root, env: CHILD_ENV, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || !line) reject(new Error(`bench/${file} ${args.join(' ')} exited with ${code}${line ? '' : ' and no result'}`));
      else resolve(JSON.parse(line.slice(RESULT_PREFIX.length)));
    });
  });
}

const NUMPY_MATMUL = `
import json, sys, time
import numpy as np
sizes = json.loads(sys.argv[1]); target = float(sys.argv[2]) / 1000
try:
    blas = np.show_config(mode='dicts')['Build Dependencies']['blas']['name']
except Exception:
    blas = 'unknown'
rng = np.random.default_rng(3)
res = []
for n in sizes:
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    for name, f in (('A·B', lambda: a @ b), ('A·Bᵀ', lambda: a @ b.T), ('Aᵀ·B', lambda: a.T @ b)):
        f()
        t = time.perf_counter(); f(); once = time.perf_counter() - t
        reps = max(3, min(500, int(target / max(once, 1e-6))))
        ts = []
        for _ in range(reps):
            t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
        ts.sort()
        med = ts[len(ts) // 2] if len(ts) % 2 else (ts[len(ts) // 2 - 1] + ts[len(ts) // 2]) / 2
        res.append({'n': n, 'variant': name, 'median_ms': med * 1e3, 'gflops': 2 * n ** 3 / med / 1e9, 'reps': reps})
print(json.dumps({'numpy': np.__version__, 'blas': blas, 'results': res}))
`;

function numpyAvailable() {
  const r = spawnSync('python3', ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function runNumpy(sizes, targetMs) {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', PYTHONIOENCODING: 'utf-8' };
  const r = spawnSync('python3', ['-c', NUMPY_MATMUL, JSON.stringify(sizes), String(targetMs)], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`numpy matmul failed: ${r.stderr.trim().split('\n').pop()}`);
  return JSON.parse(r.stdout);
}

function machine() {
  const cpus = os.cpus();
  const version = (pkg) => {
    try {
      return JSON.parse(readFileSync(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;
    } catch {
      return null;
    }
  };
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    logical_cores: cpus.length,
    memory_gb: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    load_average_at_start: os.loadavg().map((x) => +x.toFixed(2)),
    tfjs: version('@tensorflow/tfjs'),
    tfjs_backend_wasm: version('@tensorflow/tfjs-backend-wasm'),
    numpy: numpyAvailable(),
  };
}

// ---------- formatting ----------

function table(headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map((c) => String(c)));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => [...r[i]].length)));
  const fmt = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('   ');
  return [fmt(cells[0]), widths.map((w) => '-'.repeat(w)).join('   '), ...cells.slice(1).map(fmt)].join('\n');
}
const ms = (x) => (x >= 100 ? `${Math.round(x).toLocaleString('en-US')} ms` : `${x.toFixed(2)} ms`);
const mb = (b) => `${Math.round(b / 2 ** 20).toLocaleString('en-US')} MB`;
const ratio = (x) => (!Number.isFinite(x) ? '–' : `${x >= 10 ? x.toFixed(1) : x >= 0.1 ? x.toFixed(2) : x.toPrecision(2)}×`);

// ---------- workloads ----------

/** A bench child driven over IPC: send() a message, next() awaits the child's next message. */
function ipcChild(file, args) {
  const proc = spawn(process.execPath, [...NODE_FLAGS, childScript(file), ...args], {
    cwd: root,
    env: CHILD_ENV,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const queue = [];
  const waiters = [];
  let exitCode = null;
  proc.on('message', (m) => {
    const w = waiters.shift();
    if (w) w.resolve(m);
    else queue.push(m);
  });
  proc.on('exit', (code) => {
    exitCode = code ?? -1;
    for (const w of waiters.splice(0)) w.reject(new Error(`bench/${file} ${args.join(' ')} exited with ${exitCode}`));
  });
  const next = async () => {
    const m = queue.length
      ? queue.shift()
      : exitCode !== null
        ? Promise.reject(new Error(`bench/${file} ${args.join(' ')} exited with ${exitCode}`))
        : new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    const msg = await m;
    if (msg.type === 'error') throw new Error(`bench/${file} ${args.join(' ')}: ${msg.message}`);
    return msg;
  };
  return { proc, next, send: (m) => proc.send(m) };
}

async function trainSmall(results) {
  const t = PLAN.train;
  const plan = { ours: [t.warmup, t.steps], 'ours:2': [t.warmup, t.steps], 'tfjs-cpu': [t.cpuWarmup, t.cpuSteps], 'tfjs-wasm': [t.warmup, t.steps] };
  const engines = Object.keys(plan);
  process.stderr.write(
    `  train_small: ${engines.map((e) => `${e} ${plan[e][0]}+${plan[e][1]}`).join(', ')} (warm-up + timed steps), one process each, interleaved\n`,
  );
  const kids = await lockstep(
    'trainSmall.ts',
    engines,
    () => [],
    (e) => (e === null ? Math.max(...engines.map((x) => plan[x][0] + plan[x][1])) : plan[e][0] + plan[e][1]),
    (k, r, m) => {
      process.stderr.write(`  ${r < plan[k.engine][0] ? 'warm-up' : 'step'} ${r + 1} ${k.ready.name}: ${Math.round(m.ms)} ms, loss ${m.loss.toFixed(4)}\n`);
    },
  );
  const { batch, context, vocab } = kids[0].ready;
  const out = kids.map((k) => {
    const times = k.steps.slice(plan[k.engine][0]).map((m) => m.ms);
    const med = median(times);
    return {
      name: k.ready.name,
      warmup: plan[k.engine][0],
      steps: times.length,
      median_ms: med,
      tokens_per_s: (batch * context * 1000) / med,
      times_ms: times,
      first_loss: k.steps[0].loss,
      last_loss: k.steps[k.steps.length - 1].loss,
      peak_rss_bytes: k.peak_rss_bytes,
    };
  });
  const [ours, ours2, cpu, wasm] = out;
  const r = {
    batch,
    context,
    vocab,
    engines: out,
    ratios: {
      ours_over_tfjs_cpu: ours.tokens_per_s / cpu.tokens_per_s,
      ours_over_tfjs_wasm: ours.tokens_per_s / wasm.tokens_per_s,
      ours_2_threads_over_1: ours2.tokens_per_s / ours.tokens_per_s,
    },
  };
  results.train_small = r;
  log(`\ntrain_small — small preset, batch ${batch}, context ${context}, vocab ${vocab}, AdamW; one process per engine, steps interleaved A B C A B C …`);
  log(
    table(
      ['engine', 'warm-up+timed', 'median step', 'tokens/s', 'peak RSS', 'loss first→last'],
      out.map((e) => [
        e.name,
        `${e.warmup}+${e.steps}`,
        ms(e.median_ms),
        e.tokens_per_s.toFixed(0),
        mb(e.peak_rss_bytes),
        `${e.first_loss.toFixed(3)}→${e.last_loss.toFixed(3)}`,
      ]),
    ),
  );
  log(
    `speed ours/tfjs-cpu: ${ratio(r.ratios.ours_over_tfjs_cpu)}   ours/tfjs-wasm: ${ratio(r.ratios.ours_over_tfjs_wasm)}   (tokens/s ratio, > 1 means ours is faster)   ours 2 threads/1 beside the peers: ${ratio(r.ratios.ours_2_threads_over_1)} (the target is threads_scaling's)`,
  );
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Starts one IPC child per engine (all set up before any timing), then runs `rounds` rounds
 * of one step per engine in turn; returns per engine its ready message, step messages and peak RSS.
 */
async function lockstep(file, engines, argsFor, rounds, onStep) {
  const kids = engines.map((engine) => ({ engine, c: ipcChild(file, ['--engine', engine, ...argsFor(engine)]), ready: null, steps: [], peak_rss_bytes: NaN }));
  try {
    for (const k of kids) k.ready = await k.c.next();
    for (let r = 0; r < rounds(null); r++) {
      for (const k of kids) {
        if (r >= rounds(k.engine)) continue;
        k.c.send({ type: 'step' });
        const m = await k.c.next();
        k.steps.push(m);
        onStep(k, r, m);
      }
    }
    for (const k of kids) {
      k.c.send({ type: 'finish' });
      k.peak_rss_bytes = (await k.c.next()).peak_rss_bytes;
    }
  } finally {
    for (const k of kids) if (k.c.proc.exitCode === null) k.c.proc.kill();
  }
  return kids;
}

async function forward(results, T, plan) {
  const total = plan.warmup + plan.reps;
  const kids = await lockstep(
    'forward.ts',
    ['ours', 'ours:2', 'tfjs-wasm'],
    () => ['--T', String(T)],
    () => total,
    (k, r, m) => {
      process.stderr.write(`  forward_${T} ${k.ready.name} ${r < plan.warmup ? 'warm-up' : 'run'} ${r + 1}: ${Math.round(m.ms)} ms\n`);
    },
  );
  const runs = kids.map((k) => {
    const times = k.steps.slice(plan.warmup).map((m) => m.ms);
    return {
      engine: k.ready.name,
      warmup: plan.warmup,
      runs: times.length,
      median_ms: median(times),
      cold_ms: k.steps[0].ms,
      times_ms: times,
      baseline_rss_bytes: k.ready.baseline_rss_bytes,
      peak_rss_bytes: k.peak_rss_bytes,
    };
  });
  const [ours, ours2, wasm] = runs;
  const w = {
    T,
    engines: runs,
    ratios: {
      speed_ours_over_tfjs_wasm: wasm.median_ms / ours.median_ms,
      peak_rss_ours_over_tfjs_wasm: ours.peak_rss_bytes / wasm.peak_rss_bytes,
      speed_ours_2_threads_over_1: ours.median_ms / ours2.median_ms,
    },
  };
  results[`forward_${T}`] = w;
  log(`\nforward_${T} — small shape, context ${T}, batch 1, all attention weights kept (${mb(4 * 4 * 4 * T * T)}); one process per engine, runs alternating`);
  log(
    table(
      ['engine', 'warm-up+runs', 'median', 'first run', 'peak RSS', 'RSS before'],
      runs.map((r) => [r.engine, `${r.warmup}+${r.runs}`, ms(r.median_ms), ms(r.cold_ms), mb(r.peak_rss_bytes), mb(r.baseline_rss_bytes)]),
    ),
  );
  log(
    `speed ours/tfjs-wasm: ${ratio(w.ratios.speed_ours_over_tfjs_wasm)} (> 1 means ours is faster)   peak RSS ours/tfjs-wasm: ${ratio(w.ratios.peak_rss_ours_over_tfjs_wasm)}   ours 2 threads/1 beside the peers: ${ratio(w.ratios.speed_ours_2_threads_over_1)}${T === 2048 ? " (the target is threads_scaling's)" : ''}`,
  );
}

/**
 * BENCHMARKS.md `threads_scaling`: train_small and forward_2048 on 1 and on 2 compute threads,
 * the two processes alone and alternating, step for step. Not read off the runs beside the
 * peers: there each of our steps follows seconds of idling (a tfjs step), and on this kind of
 * machine a step after idling is 25–30 ms slower on 1 and on 2 threads alike (measured: the
 * same two processes with a 4 s pause between steps, 285 → 312 and 163 → 193 ms), a fixed cost
 * that shrinks the ratio without saying anything about the threads.
 */
async function threadsScaling(results) {
  const rows = [];
  const out = {};
  const workloads = [
    ['train_small', 'trainSmall.ts', [], PLAN.train.warmup, PLAN.train.steps],
    ...(PLAN.f2048 ? [['forward_2048', 'forward.ts', ['--T', '2048'], PLAN.f2048.warmup, PLAN.f2048.reps + 1]] : []),
  ];
  for (const [name, file, args, warmup, timed] of workloads) {
    const kids = await lockstep(
      file,
      ['ours', 'ours:2'],
      () => args,
      () => warmup + timed,
      (k, r, m) => process.stderr.write(`  threads_scaling ${name} ${k.ready.name} ${r < warmup ? 'warm-up' : 'timed'} ${r + 1}: ${Math.round(m.ms)} ms\n`),
    );
    const [one, two] = kids.map((k) => median(k.steps.slice(warmup).map((m) => m.ms)));
    out[name] = { warmup, timed, one_thread_ms: one, two_threads_ms: two, ratio: one / two };
    rows.push([name, `${warmup}+${timed}`, ms(one), ms(two), ratio(one / two)]);
  }
  results.threads_scaling = out;
  log('\nthreads_scaling — ours on 1 and on 2 compute threads, one process each, alone, steps alternating');
  log(table(['workload', 'warm-up+timed', '1 thread', '2 threads', '2 threads/1 (target ≥ 1.7)'], rows));
}

async function matmul(results, numpyVersion) {
  const { sizes, targetMs } = PLAN.matmul;
  const ours = await child('matmul.ts', ['--sizes', sizes.join(','), '--target-ms', String(targetMs)]);
  let np = null;
  if (numpyVersion) {
    try {
      np = runNumpy(sizes, targetMs);
    } catch (e) {
      np = { error: e.message };
    }
  }
  const rows = ours.results.map((o) => {
    const n = np?.results?.find((x) => x.n === o.n && x.variant === o.variant);
    return { n: o.n, variant: o.variant, ours_gflops: o.gflops, numpy_gflops: n ? n.gflops : null, ours_over_numpy: n ? o.gflops / n.gflops : null };
  });
  results.matmul = { backend: ours.backend, numpy: np, ours: ours.results, rows };
  const npLabel = np && !np.error ? `numpy ${np.numpy} (${np.blas}, 1 thread)` : np?.error ? `numpy failed: ${np.error}` : 'numpy not available';
  log(`\nmatmul_N — float32 square, one thread, GFLOP/s = 2N³/median; ours = engine backend "${ours.backend}", ${npLabel}`);
  log(
    table(
      ['N', 'op', `ours (${ours.backend})`, 'numpy', 'ours/numpy'],
      rows.map((r) => [
        r.n,
        r.variant,
        r.ours_gflops.toFixed(2),
        r.numpy_gflops === null ? '–' : r.numpy_gflops.toFixed(1),
        r.ours_over_numpy === null ? '–' : ratio(r.ours_over_numpy),
      ]),
    ),
  );
}

/**
 * cursor_to_decorations and host_lag_training: inside a real VS Code extension host (the
 * test driver with the *.bench.ts suites instead of the tests). Needs code-server installed
 * and dist/ built, as `npm test` leaves them.
 */
async function editor(results) {
  log('\neditor (in the VS Code extension host): cursor_to_decorations, host_lag_training');
  const { runIntegrationTests } = await import('./vscode-test/driver.mjs');
  // The driver prints the in-host mocha output; the BENCH lines in it are the results.
  const lines = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk, ...rest) => {
    for (const m of String(chunk).matchAll(/BENCH (\w+): (.*)$/gm)) lines.push([m[1], m[2]]);
    return json ? process.stderr.write(chunk, ...rest) : write(chunk, ...rest);
  };
  let r;
  try {
    r = await runIntegrationTests({ suffix: '.bench.js', timeoutMs: 900_000 });
  } finally {
    process.stdout.write = write;
  }
  if (r.crashed || r.failures > 0) throw new Error(`the in-editor benchmark run failed${r.reason ? `: ${r.reason}` : ''}`);
  for (const [name, text] of lines) results[name] = text;
  log(table(['workload', 'result'], lines));
}

/** stories260K_attention_500: the llama2.c fixture loaded once, attention for 500 tokens (needs ../shared/fixtures). */
async function stories(results) {
  const fixtures = process.env.ATTENTION_LENS_FIXTURES ?? path.resolve(root, '../shared/fixtures');
  if (!existsSync(path.join(fixtures, 'stories260K/stories260K.bin'))) {
    log('\nstories260K_attention_500: skipped (../shared/fixtures is not here)');
    return;
  }
  log('\nstories260K_attention_500 — stories260K loaded once; attention, all layers and heads, 500 tokens');
  const r = await child('kernelsStories.ts', ['--reps', quick ? '5' : '20']);
  results.stories260K_attention_500 = r;
  log(table(['engine', 'median', 'target'], [[r.backend, ms(r.median_ms), '≤ 50 ms']]));
}

/** tokenize_llama2c_100k: the llama2.c tokenizer on a 100 KB document (needs ../shared/fixtures). */
async function tokenize(results) {
  const fixtures = process.env.ATTENTION_LENS_FIXTURES ?? path.resolve(root, '../shared/fixtures');
  if (!existsSync(path.join(fixtures, 'stories260K/tok512.bin'))) {
    log('\ntokenize_llama2c_100k: skipped (../shared/fixtures is not here)');
    return;
  }
  log('\ntokenize_llama2c_100k — llama2.c tokenizer (tok512), 100 KB of words, emoji and newlines');
  const r = await child('tokenizeLlama2c.ts', ['--reps', quick ? '3' : '10']);
  results.tokenize_llama2c_100k = r;
  log(table(['characters', 'tokens', 'median'], [[String(r.chars), String(r.tokens), ms(r.median_ms)]]));
}

/** snapshots_small: the memory of a 5,000-step small run's head snapshots and their cost in training throughput. */
async function snapshotsSmall(results) {
  log('\nsnapshots_small — head snapshots of a 5,000-step small run (probe of 64 tokens): memory, and cost beside training steps (batch 16 × 128)');
  const r = await child('snapshotsSmall.ts', quick ? ['--steps', '4', '--snapshots', '12'] : ['--steps', '10', '--snapshots', '30']);
  results.snapshots_small = r;
  const MB = (b) => `${(b / 1e6).toFixed(1)} MB`;
  log(
    table(
      ['interval', 'kept', 'worker', '+ host + page', 'bound'],
      [
        [`every ${r.default_every} (default)`, String(r.default_snapshots), MB(r.default_bytes), MB(3 * r.default_bytes), '< 50 MB'],
        ['every step', `${r.every_step_kept} (of ${r.every_step_taken} taken)`, MB(r.every_step_bytes), MB(3 * r.every_step_bytes), '< 50 MB'],
      ],
    ),
  );
  log(
    table(
      ['median step', 'median snapshot', `cost every ${r.default_every}`, 'cost every step', 'target', 'one message'],
      [
        [
          ms(r.step_median_ms),
          ms(r.snapshot_median_ms),
          `${(100 * r.overhead_default).toFixed(2)} %`,
          `${(100 * r.overhead_every_step).toFixed(1)} %`,
          '< 5 %',
          MB(r.message_bytes),
        ],
      ],
    ),
  );
}

/**
 * ablate_sweep (stories260K, 200 tokens, 40 heads) and ig_small (small preset, 64 steps):
 * the debugging analyses, each beside one forward pass of the same model and tokens.
 */
async function debugAnalysis(results, name) {
  const fixtures = process.env.ATTENTION_LENS_FIXTURES ?? path.resolve(root, '../shared/fixtures');
  if (name === 'ablate_sweep' && !existsSync(path.join(fixtures, 'stories260K/stories260K.bin'))) {
    log('\nablate_sweep: skipped (../shared/fixtures is not here)');
    return;
  }
  const r = await child('debugAnalyses.ts', ['--workload', name, '--reps', quick ? '3' : '5']);
  results[name] = r;
  log(`\n${name} — ${r.detail}; runs alternate with one forward pass`);
  log(
    table(
      ['engine', 'forward', 'analysis', 'analysis/forward', 'goal'],
      [[r.backend, ms(r.forward_ms), ms(r.analysis_ms), ratio(r.ratio), `< ${ms(r.goal_ms)}`]],
    ),
  );
}

/**
 * real: stories15M and stories260K beside llama2.c's run.c (built by the child from
 * ../shared/peers/llama2c): decode tokens/s, start-up, peak RSS, and a 256-token prompt pass
 * (bench/realModels.ts). Our side runs the built CLI, so dist/ is rebuilt first.
 */
async function gpt2Small(results) {
  const built = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: root, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`npm run build failed: ${built.stderr.trim().split('\n').pop()}`);
  const r = await child('gpt2Small.ts', ['--reps', quick ? '1' : '3']);
  results.gpt2_small_1024 = r;
  log(
    `\ngpt2_small_1024 — our CLI on a GPT-2 small-shaped Hugging Face folder (${r.layers} layers × ${r.heads} heads, random F32 weights, ${mb(r.weights_bytes)}), ${r.tokens} token ids; whole process, medians`,
  );
  log(
    table(
      ['command', 'runs', 'wall time', 'peak RSS'],
      r.commands.map((c) => [c.command, String(c.runs), ms(c.median_ms), mb(c.peak_rss_bytes)]),
    ),
  );
  log(`attention --out wrote ${mb(r.attention_file_bytes)} (every weight [${r.layers}, ${r.heads}, ${r.tokens}, ${r.tokens}])`);
}

async function real(results) {
  const fixtures = process.env.ATTENTION_LENS_FIXTURES ?? path.resolve(root, '../shared/fixtures');
  if (!existsSync(path.join(fixtures, 'stories15M/stories15M.bin')) || !existsSync(path.resolve(root, '../shared/peers/llama2c/run.c'))) {
    log('\nreal: skipped (../shared/fixtures/stories15M or ../shared/peers/llama2c is not here)');
    return;
  }
  const built = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: root, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`npm run build failed: ${built.stderr.trim().split('\n').pop()}`);
  const threads = argv.includes('--threads') ? ['--threads', argv[argv.indexOf('--threads') + 1]] : [];
  const r = await child('realModels.ts', ['--reps', quick ? '3' : '5', ...threads]);
  results.real = r;
  log(
    '\nreal — our CLI `generate` beside llama2.c run.c (1 thread, -O3 -march=native -ffast-math), greedy, "Once upon a time"; processes interleaved, medians',
  );
  log(
    table(
      [
        'model',
        'tokens',
        'ours tok/s',
        'run.c tok/s',
        'ours/run.c',
        'ours in-process / run.c own',
        'ours start-up',
        'run.c start-up',
        'ours peak RSS',
        'run.c peak RSS',
        'file',
      ],
      r.decode.map((d) => [
        d.model,
        String(d.tokens),
        d.ours.tokens_per_s.toFixed(0),
        `${d.run_c.tokens_per_s.toFixed(0)} (own ${d.run_c.self_reported_tokens_per_s.toFixed(0)})`,
        ratio(d.ours.tokens_per_s / d.run_c.tokens_per_s),
        `${d.ours.in_process_tokens_per_s.toFixed(0)} / ${d.run_c.self_reported_tokens_per_s.toFixed(0)} = ${ratio(d.ours.in_process_tokens_per_s / d.run_c.self_reported_tokens_per_s)}`,
        ms(d.ours.startup_ms),
        ms(d.run_c.startup_ms),
        mb(d.ours.peak_rss_bytes),
        mb(d.run_c.peak_rss_bytes),
        mb(d.file_bytes),
      ]),
    ),
  );
  const p = r.prompt_256;
  log(
    `stories15M prompt of ${p.tokens} tokens: ours ${ms(p.ours_ms)} (one forward, every attention weight kept, ${p.backend}), run.c ${ms(p.run_c_ms)} (token by token); run.c/ours ${ratio(p.run_c_ms / p.ours_ms)} (> 1 means ours is faster)`,
  );
}

async function main() {
  const started = Date.now();
  const info = machine();
  log(`Attention Lens benchmarks${quick ? ' (--quick)' : ''}`);
  log(
    `machine: ${info.cpu}, ${info.logical_cores} logical cores, ${info.memory_gb} GB; ${info.platform}; node ${info.node}; load average ${info.load_average_at_start.join(' ')} at start`,
  );
  log(`peers: tfjs ${info.tfjs} (backend-cpu, backend-wasm ${info.tfjs_backend_wasm} SIMD, single-threaded in Node); numpy ${info.numpy ?? 'not available'}`);
  await bundleChildren();
  const results = {};
  const errors = [];
  const step = async (name, f) => {
    if (!want(name)) return;
    try {
      await f();
    } catch (e) {
      errors.push(`${name}: ${e.message}`);
      log(`\n${name} failed: ${e.message}`);
    }
  };
  await step('matmul', () => matmul(results, info.numpy));
  await step('forward_512', () => forward(results, 512, PLAN.f512));
  if (PLAN.f2048) await step('forward_2048', () => forward(results, 2048, PLAN.f2048));
  await step('train_small', () => trainSmall(results));
  await step('threads_scaling', () => threadsScaling(results));
  await step('stories260K_attention_500', () => stories(results));
  await step('ablate_sweep', () => debugAnalysis(results, 'ablate_sweep'));
  await step('ig_small', () => debugAnalysis(results, 'ig_small'));
  await step('tokenize_llama2c_100k', () => tokenize(results));
  await step('snapshots_small', () => snapshotsSmall(results));
  await step('gpt2_small_1024', () => gpt2Small(results));
  await step('editor', () => editor(results));
  await step('real', () => real(results));
  const seconds = (Date.now() - started) / 1000;
  log(`\ntotal ${seconds.toFixed(0)} s${errors.length ? `; ${errors.length} workload(s) failed` : ''}`);
  if (json) process.stdout.write(JSON.stringify({ machine: info, mode: quick ? 'quick' : 'full', seconds, workloads: results, errors }) + '\n');
  if (errors.length) process.exitCode = 1;
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${e.stack ?? e}\n`);
  process.exit(1);
});
