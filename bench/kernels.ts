/**
 * Kernel micro-benchmark (not one of the BENCHMARKS.md workloads): each backend kernel on the
 * shapes `train_small` actually runs, plus square matmuls, for the JS reference and the
 * WebAssembly builds this runtime can load, interleaved (A B A B …), medians.
 *
 *   node --import tsx bench/kernels.ts [--relaxed] [--only matmul,attention,layers] [--reps N] [--json]
 *
 * --relaxed enables V8's relaxed SIMD (Node 20 keeps it behind a flag; Electron has it on)
 * so the relaxed-SIMD build is measured too. Prints a table, or one JSON line with --json.
 */

import v8 from 'node:v8';
import type { Backend } from '../src/engine/kernels/backend';
import { jsBackend } from '../src/engine/kernels/jsBackend';
import { decodeBase64, loadWasmBackend } from '../src/engine/kernels/wasmLoad';
import { WASM_RELAXED_SIMD_BASE64, WASM_SIMD_BASE64 } from '../src/engine/kernels/generated/wasmModules';
import { Rng } from '../src/engine/random';
import { median, parseArgs } from './common';

const args = parseArgs(process.argv.slice(2));
if (args.has('relaxed')) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const only = args.get('only')?.split(',') ?? ['matmul', 'attention', 'layers'];
const reps = Number(args.get('reps') ?? 7);
const json = args.has('json');

const backends: Backend[] = [];
const simd = loadWasmBackend({ simd: decodeBase64(WASM_SIMD_BASE64) });
if (simd.backend) backends.push(simd.backend);
const relaxed = loadWasmBackend({ relaxedSimd: decodeBase64(WASM_RELAXED_SIMD_BASE64) });
if (relaxed.backend) backends.push(relaxed.backend);
const withJs = !args.has('no-js');
if (withJs) backends.push(jsBackend);

const rng = new Rng(5);
const rand = (n: number): Float32Array => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
};

interface Case {
  readonly name: string;
  readonly flops: number;
  /** Runs once on the backend; the JS reference may be skipped for cases it would take minutes on. */
  run(be: Backend): void;
  readonly skipJs?: boolean;
}

const cases: Case[] = [];
const rows = 16 * 128;
if (only.includes('matmul')) {
  for (const n of [64, 128, 256, 512, 1024]) {
    const a = rand(n * n),
      b = rand(n * n),
      c = new Float32Array(n * n);
    for (const [tag, transA, transB] of [
      ['A·B', false, false],
      ['A·Bᵀ', false, true],
      ['Aᵀ·B', true, false],
    ] as const) {
      cases.push({ name: `matmul ${n}³ ${tag}`, flops: 2 * n ** 3, run: (be) => be.matmul(a, b, c, n, n, n, { transA, transB }), skipJs: n >= 1024 });
    }
  }
  // The linear layers of train_small: x[2048, in]·W[out, in]ᵀ, dx = dy·W, dW += dyᵀ·x.
  for (const [inF, outF] of [
    [128, 128],
    [128, 512],
    [512, 128],
    [128, 96],
  ] as const) {
    const x = rand(rows * inF),
      w = rand(outF * inF),
      y = new Float32Array(rows * outF),
      dy = rand(rows * outF);
    const dx = new Float32Array(rows * inF),
      dw = new Float32Array(outF * inF);
    cases.push({ name: `linear fwd ${rows}×${inF}→${outF}`, flops: 2 * rows * inF * outF, run: (be) => be.linearForward(x, w, null, y, rows, inF, outF) });
    cases.push({
      name: `linear bwd ${rows}×${inF}→${outF}`,
      flops: 4 * rows * inF * outF,
      run: (be) => be.linearBackward(x, w, dy, dx, dw, null, rows, inF, outF),
    });
  }
}
if (only.includes('attention')) {
  for (const [B, T] of [
    [16, 128],
    [1, 512],
    [1, 2048],
  ] as const) {
    const H = 4,
      hs = 32,
      C = H * hs,
      dims = { B, T, Tk: T, H, Hkv: H, hs };
    const q = rand(B * T * C),
      k = rand(B * T * C),
      v = rand(B * T * C),
      out = new Float32Array(B * T * C),
      probs = new Float32Array(B * H * T * T);
    const dy = rand(B * T * C),
      dq = new Float32Array(B * T * C),
      dk = new Float32Array(B * T * C),
      dv = new Float32Array(B * T * C);
    const causalFlops = B * H * T * (T + 1) * hs; // one causal GEMM of the two (QKᵀ, PV): T(T+1)/2 · hs · 2
    cases.push({
      name: `attention fwd B${B} T${T} H${H} hs${hs}`,
      flops: 2 * causalFlops,
      run: (be) => be.attentionForward(q, k, v, dims, out, probs, null, null),
      skipJs: T >= 2048,
    });
    cases.push({
      name: `attention bwd B${B} T${T} H${H} hs${hs}`,
      flops: 4 * causalFlops,
      run: (be) => be.attentionBackward(q, k, v, dims, probs, null, dy, dq, dk, dv),
      skipJs: T >= 2048,
    });
  }
}
if (only.includes('layers')) {
  const n = rows * 512,
    x = rand(n),
    y = new Float32Array(n),
    dy = rand(n),
    dx = new Float32Array(n);
  cases.push({ name: `gelu fwd ${rows}×512`, flops: 0, run: (be) => be.geluForward(x, y, n) });
  cases.push({ name: `gelu bwd ${rows}×512`, flops: 0, run: (be) => be.geluBackward(x, dy, dx, n) });
  const c = 128,
    m = rows * c,
    w = rand(c),
    bb = rand(c),
    mean = new Float32Array(rows),
    rstd = new Float32Array(rows);
  const lx = rand(m),
    ly = new Float32Array(m),
    ldy = rand(m),
    ldx = new Float32Array(m),
    dw = new Float32Array(c),
    db = new Float32Array(c);
  cases.push({ name: `layerNorm fwd ${rows}×${c}`, flops: 0, run: (be) => be.layerNormForward(lx, w, bb, ly, mean, rstd, rows, c, 1e-5) });
  cases.push({ name: `layerNorm bwd ${rows}×${c}`, flops: 0, run: (be) => be.layerNormBackward(lx, w, mean, rstd, ldy, ldx, dw, db, rows, c) });
  const V = 96,
    logits = rand(rows * V),
    probs = new Float32Array(rows * V),
    perToken = new Float32Array(rows),
    dl = new Float32Array(rows * V);
  const targets = Int32Array.from({ length: rows }, (_, i) => (i * 7) % V);
  cases.push({ name: `crossEntropy fwd ${rows}×${V}`, flops: 0, run: (be) => void be.crossEntropyForward(logits, targets, rows, V, probs, perToken) });
  cases.push({ name: `crossEntropy bwd ${rows}×${V}`, flops: 0, run: (be) => be.crossEntropyBackward(probs, targets, rows, V, 1 / rows, dl) });
  const np = 800_000,
    pw = rand(np),
    pg = rand(np),
    pm = new Float32Array(np),
    pv = new Float32Array(np);
  const hp = { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, c1: 0.1, c2: 0.05 };
  cases.push({ name: `adamw ${np} params`, flops: 0, run: (be) => be.adamwStep(pw, pg, pm, pv, np, hp) });
}

const results: { case: string; backend: string; median_ms: number; gflops: number | null }[] = [];
for (const cs of cases) {
  const bes = backends.filter((b) => !(cs.skipJs && b === jsBackend));
  const times = new Map<Backend, number[]>(bes.map((b) => [b, []]));
  for (const b of bes) cs.run(b); // warm-up
  for (let r = 0; r < reps; r++) {
    for (const b of bes) {
      const t0 = performance.now();
      cs.run(b);
      times.get(b)!.push(performance.now() - t0);
    }
  }
  const line: string[] = [];
  for (const b of bes) {
    const med = median(times.get(b)!);
    const gflops = cs.flops ? cs.flops / (med * 1e6) : null;
    results.push({ case: cs.name, backend: b.name, median_ms: med, gflops });
    line.push(`${b.name} ${med.toFixed(2)} ms${gflops ? ` (${gflops.toFixed(1)} GFLOP/s)` : ''}`);
  }
  if (!json) console.log(`${cs.name.padEnd(34)} ${line.join('   ')}`);
}
if (json) process.stdout.write(JSON.stringify({ workload: 'kernels', backends: backends.map((b) => b.name), results }) + '\n');
