/**
 * Benchmark child for `matmul_N` (BENCHMARKS.md): float32 C = A·B, A·Bᵀ and Aᵀ·B for square
 * N, one thread, through the engine's active kernel backend. GFLOP/s = 2N³ / median time.
 * numpy's figures for the same shapes come from scripts/bench.mjs (python3, one BLAS thread).
 *
 * Args: --sizes 64,128,256,512,1024  --target-ms 300 (time spent per size and variant)
 */

import { backend } from '../src/engine/kernels/activeBackend';
import { Rng } from '../src/engine/random';
import { emitResult, intArg, median, parseArgs, progress } from './common';

const VARIANTS = [
  { name: 'A·B', transA: false, transB: false },
  { name: 'A·Bᵀ', transA: false, transB: true },
  { name: 'Aᵀ·B', transA: true, transB: false },
] as const;

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const sizes = (args.get('sizes') ?? '64,128,256,512,1024').split(',').map(Number);
  const targetMs = intArg(args, 'target-ms', 300);
  const be = backend();
  const rng = new Rng(3);
  const results: { n: number; variant: string; median_ms: number; gflops: number; reps: number }[] = [];
  for (const n of sizes) {
    const a = new Float32Array(n * n).map(() => rng.normal());
    const b = new Float32Array(n * n).map(() => rng.normal());
    const c = new Float32Array(n * n);
    for (const v of VARIANTS) {
      const opts = { transA: v.transA, transB: v.transB };
      let t0 = performance.now();
      be.matmul(a, b, c, n, n, n, opts); // warm-up (JIT, caches)
      const once = performance.now() - t0;
      const reps = Math.max(2, Math.min(200, Math.ceil(targetMs / Math.max(once, 1e-3))));
      const times: number[] = [];
      for (let r = 0; r < reps; r++) {
        t0 = performance.now();
        be.matmul(a, b, c, n, n, n, opts);
        times.push(performance.now() - t0);
      }
      const med = median(times);
      results.push({ n, variant: v.name, median_ms: med, gflops: (2 * n ** 3) / (med * 1e6), reps });
      progress(`matmul_${n} ${v.name} ours (${be.name}): ${((2 * n ** 3) / (med * 1e6)).toFixed(2)} GFLOP/s (${reps} runs)`);
    }
  }
  emitResult({ workload: 'matmul', backend: be.name, results });
}

main();
