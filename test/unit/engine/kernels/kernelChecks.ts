/**
 * Kernel-by-kernel comparison of a backend against the plain-JS reference on random data,
 * including awkward shapes (1, 3, 17, odd sizes, sizes straddling the WASM kernel's tiles:
 * MR 4, NR 8, KC 256, MC 128, NC 1024). Shared by the mocha suite and by the child process
 * that checks the relaxed-SIMD build under --experimental-wasm-relaxed-simd.
 */

import assert from 'node:assert/strict';
import type { AttentionDims, Backend } from '../../../../src/engine/kernels/backend';
import { addAt } from '../../../../src/engine/elements';
import { jsBackend } from '../../../../src/engine/kernels/jsBackend';
import { jsDecode } from '../../../../src/engine/kernels/jsDecode';
import { Rng } from '../../../../src/engine/random';
import { checkHalfKernels } from './halfChecks';

export function randomArray(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}

/** Largest |a − e| / max(1, |e|); throws naming `what` when it exceeds tol. */
export function expectClose(actual: Float32Array, expected: Float32Array, tol: number, what: string): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!,
      e = expected[i]!;
    if (Number.isNaN(a) && Number.isNaN(e)) continue;
    if (a === e) continue; // ±Infinity
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) throw new Error(`${what}[${i}]: ${a} vs reference ${e} (tol ${tol})`);
  }
}

export const MATMUL_SHAPES: readonly (readonly [number, number, number])[] = [
  [1, 1, 1],
  [1, 3, 1],
  [3, 1, 17],
  [1, 17, 3],
  [3, 3, 3],
  [4, 8, 8],
  [5, 9, 7],
  [17, 17, 17],
  [33, 7, 65],
  [7, 300, 9],
  [130, 5, 12],
  [129, 257, 17],
  [3, 20, 1030],
  [64, 64, 64],
  [96, 128, 128],
];

/** Every transpose variant, overwrite and accumulate, on MATMUL_SHAPES (+ any extra shapes). */
export function checkMatmul(be: Backend, extra: readonly (readonly [number, number, number])[] = []): number {
  const rng = new Rng(11);
  let checked = 0;
  for (const [m, k, n] of [...MATMUL_SHAPES, ...extra]) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const accumulate of [false, true]) {
          const a = randomArray(rng, m * k),
            b = randomArray(rng, k * n),
            c0 = randomArray(rng, m * n);
          const want = c0.slice(),
            got = c0.slice();
          jsBackend.matmul(a, b, want, m, k, n, { transA, transB, accumulate });
          be.matmul(a, b, got, m, k, n, { transA, transB, accumulate });
          // Float32 sums of k terms in another order: error grows like √k·ε·|terms|.
          expectClose(got, want, 2e-6 * Math.sqrt(k) * 4, `${be.name} matmul ${m}×${k}×${n} transA=${transA} transB=${transB} accumulate=${accumulate}`);
          checked++;
        }
      }
    }
  }
  return checked;
}

export const ATTENTION_DIMS: readonly AttentionDims[] = [
  { B: 1, T: 1, Tk: 1, H: 1, Hkv: 1, hs: 1 },
  { B: 2, T: 3, Tk: 3, H: 2, Hkv: 1, hs: 3 },
  { B: 1, T: 17, Tk: 17, H: 3, Hkv: 3, hs: 5 },
  { B: 2, T: 5, Tk: 12, H: 4, Hkv: 2, hs: 8 }, // 7 cached keys before the queries
  { B: 1, T: 1, Tk: 9, H: 2, Hkv: 2, hs: 4 }, // one new query over a cache
  { B: 2, T: 33, Tk: 33, H: 4, Hkv: 4, hs: 32 },
  { B: 1, T: 130, Tk: 130, H: 2, Hkv: 1, hs: 17 },
  { B: 1, T: 40, Tk: 300, H: 1, Hkv: 1, hs: 16 },
  // Bidirectional (encoder) attention: every query sees every key.
  { B: 2, T: 5, Tk: 5, H: 4, Hkv: 2, hs: 8, causal: false },
  { B: 1, T: 130, Tk: 130, H: 2, Hkv: 1, hs: 17, causal: false },
  { B: 1, T: 1, Tk: 1, H: 1, Hkv: 1, hs: 3, causal: false },
];

/** Forward (probs, scores, soft and hard) and backward (every subset of dq, dk, dv) of fused attention. */
export function checkAttention(be: Backend): number {
  const rng = new Rng(12);
  let checked = 0;
  for (const d of ATTENTION_DIMS) {
    const nq = d.B * d.T * d.H * d.hs,
      nkv = d.B * d.Tk * d.Hkv * d.hs,
      np = d.B * d.H * d.T * d.Tk;
    const tag = `${be.name} attention B${d.B} T${d.T} Tk${d.Tk} H${d.H}/${d.Hkv} hs${d.hs}${d.causal === false ? ' bidirectional' : ''}`;
    for (const hard of [false, true]) {
      const q = randomArray(rng, nq, 1.5),
        k = randomArray(rng, nkv, 1.5),
        v = randomArray(rng, nkv);
      const run = (b: Backend): { out: Float32Array; probs: Float32Array; scores: Float32Array; idx: Int32Array | null } => {
        const out = new Float32Array(nq),
          probs = new Float32Array(np),
          scores = new Float32Array(np).fill(-Infinity);
        const idx = hard ? new Int32Array(d.B * d.H * d.T) : null;
        b.attentionForward(q, k, v, d, out, probs, scores, idx);
        return { out, probs, scores, idx };
      };
      const want = run(jsBackend),
        got = run(be);
      expectClose(got.probs, want.probs, 2e-6, `${tag} hard=${hard} probs`);
      expectClose(got.scores, want.scores, 2e-6, `${tag} hard=${hard} scores`);
      expectClose(got.out, want.out, 1e-5, `${tag} hard=${hard} out`);
      if (hard && [...got.idx!].some((x, i) => x !== want.idx![i])) throw new Error(`${tag}: hard argmax indices differ`);
      // A NaN query poisons its rows (as in the reference), never silently vanishes.
      if (!hard) {
        const qn = q.slice();
        qn[nq - 1] = NaN;
        const nanRun = (b: Backend): Float32Array => {
          const out = new Float32Array(nq),
            probs = new Float32Array(np);
          b.attentionForward(qn, k, v, d, out, probs, null, null);
          return probs;
        };
        expectClose(nanRun(be), nanRun(jsBackend), 2e-6, `${tag} NaN query probs`);
      }
      // Without probs/scores requested the output is the same; and out and probs may hold anything before (NaN here).
      const lean = new Float32Array(nq).fill(NaN);
      be.attentionForward(q, k, v, d, lean, null, null, hard ? new Int32Array(d.B * d.H * d.T) : null);
      expectClose(lean, want.out, 1e-5, `${tag} hard=${hard} out without probs`);
      const dirty = { out: new Float32Array(nq).fill(NaN), probs: new Float32Array(np).fill(NaN) };
      be.attentionForward(q, k, v, d, dirty.out, dirty.probs, null, hard ? new Int32Array(d.B * d.H * d.T) : null);
      assert.deepEqual(dirty.out, got.out, `${tag} hard=${hard} out over NaN`);
      assert.deepEqual(dirty.probs, got.probs, `${tag} hard=${hard} probs over NaN`);
      checked++;

      const dy = randomArray(rng, nq);
      for (const mask of [7, 1, 2, 4, 6]) {
        const grads = (b: Backend): (Float32Array | null)[] => {
          const g = [
            mask & 1 ? randomArray(new Rng(mask), nq) : null,
            mask & 2 ? randomArray(new Rng(mask + 1), nkv) : null,
            mask & 4 ? randomArray(new Rng(mask + 2), nkv) : null,
          ];
          b.attentionBackward(q, k, v, d, want.probs, want.idx, dy, g[0]!, g[1]!, g[2]!);
          return g;
        };
        const gw = grads(jsBackend),
          gg = grads(be);
        ['dq', 'dk', 'dv'].forEach((name, i) => {
          if (gw[i]) expectClose(gg[i]!, gw[i]!, 2e-5 * Math.sqrt(d.Tk), `${tag} hard=${hard} ${name} (mask ${mask})`);
        });
        checked++;
      }
    }
  }
  return checked;
}

const LAYER_SHAPES: readonly (readonly [number, number, number])[] = [
  [1, 1, 1],
  [3, 5, 7],
  [17, 16, 33],
  [64, 128, 96],
  [33, 3, 130],
];

/** Linear layer forward (with and without bias) and backward (every subset of dx, dW, db). */
export function checkLinear(be: Backend): number {
  const rng = new Rng(13);
  let checked = 0;
  for (const [rows, inF, outF] of LAYER_SHAPES) {
    const tag = `${be.name} linear ${rows}×${inF}→${outF}`;
    const x = randomArray(rng, rows * inF),
      w = randomArray(rng, outF * inF, 0.3),
      bias = randomArray(rng, outF);
    for (const withBias of [false, true]) {
      const want = new Float32Array(rows * outF),
        got = new Float32Array(rows * outF);
      jsBackend.linearForward(x, w, withBias ? bias : null, want, rows, inF, outF);
      be.linearForward(x, w, withBias ? bias : null, got, rows, inF, outF);
      expectClose(got, want, 1e-5 * Math.sqrt(inF), `${tag} bias=${withBias} y`);
      checked++;
    }
    const dy = randomArray(rng, rows * outF);
    for (const mask of [7, 1, 2, 4]) {
      const grads = (b: Backend): (Float32Array | null)[] => {
        const g = [
          mask & 1 ? randomArray(new Rng(1), rows * inF) : null,
          mask & 2 ? randomArray(new Rng(2), outF * inF) : null,
          mask & 4 ? randomArray(new Rng(3), outF) : null,
        ];
        b.linearBackward(x, w, dy, g[0]!, g[1]!, g[2]!, rows, inF, outF);
        return g;
      };
      const gw = grads(jsBackend),
        gg = grads(be);
      ['dx', 'dW', 'db'].forEach((name, i) => {
        if (gw[i]) expectClose(gg[i]!, gw[i]!, 1e-5 * Math.sqrt(Math.max(rows, outF)), `${tag} ${name} (mask ${mask})`);
      });
      checked++;
    }
    // A first contribution stored into a buffer holding anything (NaN here) equals the same added into zeros.
    for (const store of [{ dx: true }, { dw: true }, { dx: true, dw: true }]) {
      const added = [new Float32Array(rows * inF), new Float32Array(outF * inF), new Float32Array(outF)];
      be.linearBackward(x, w, dy, added[0]!, added[1]!, added[2]!, rows, inF, outF);
      const stored = [new Float32Array(rows * inF).fill(store.dx ? NaN : 0), new Float32Array(outF * inF).fill(store.dw ? NaN : 0), new Float32Array(outF)];
      be.linearBackward(x, w, dy, stored[0]!, stored[1]!, stored[2]!, rows, inF, outF, store);
      ['dx', 'dW', 'db'].forEach((name, i) => assert.deepEqual(stored[i], added[i], `${tag} ${name} stored (${JSON.stringify(store)})`));
      checked++;
    }
  }
  return checked;
}

/** GELU and SiLU forward and backward, including large |x| (saturation), NaN and ±Infinity. */
export function checkActivations(be: Backend): number {
  const rng = new Rng(14);
  let checked = 0;
  for (const fn of ['gelu', 'silu'] as const) {
    const fwd = fn === 'gelu' ? 'geluForward' : 'siluForward';
    const bwd = fn === 'gelu' ? 'geluBackward' : 'siluBackward';
    for (const n of [1, 3, 4, 17, 1000]) {
      const x = randomArray(rng, n, 3);
      if (n === 1000) x.set([0, -0, 1e-8, -1e-8, 10, -10, 30, -30, 87, -87, 89, -89, 100, -100, 1e30, -1e30, NaN, Infinity, -Infinity]);
      const want = new Float32Array(n),
        got = new Float32Array(n);
      jsBackend[fwd](x, want, n);
      be[fwd](x, got, n);
      // Far tails differ only below 1e-30 (float32 rounding of e^±x near its limits).
      expectClose(
        got.map((v) => (Math.abs(v) < 1e-30 ? 0 : v)),
        want.map((v) => (Math.abs(v) < 1e-30 ? 0 : v)),
        2e-6,
        `${be.name} ${fn} n=${n}`,
      );
      const finite = x.map((v) => (Number.isFinite(v) && Math.abs(v) < 1e20 ? v : 0.5));
      const dy = randomArray(rng, n),
        dxWant = randomArray(new Rng(5), n),
        dxGot = dxWant.slice();
      jsBackend[bwd](finite, dy, dxWant, n);
      be[bwd](finite, dy, dxGot, n);
      expectClose(dxGot, dxWant, 1e-5, `${be.name} ${fn}′ n=${n}`);
      // Stored into a buffer holding anything (NaN): the same as added into zeros.
      const added = new Float32Array(n),
        stored = new Float32Array(n).fill(NaN);
      be[bwd](finite, dy, added, n);
      be[bwd](finite, dy, stored, n, true);
      assert.deepEqual(stored, added, `${be.name} ${fn}′ n=${n} stored`);
      checked += 3;
    }
  }
  return checked;
}

/**
 * Sums: a + b with b repeated over rows, and dst += src. Each value is one float32 addition,
 * so the result must equal Math.fround(x + y) exactly, NaN and ±Infinity included. And zero().
 */
export function checkSums(be: Backend): number {
  const rng = new Rng(15);
  // One small resident block for all cases (the no-room test leaves little memory to take).
  const ZERO_RESIDENT = 64;
  const block = be.residentBytes?.(4 * ZERO_RESIDENT);
  const special = [NaN, Infinity, -Infinity, -0, 3.4e38, -3.4e38, 1e-45];
  const sample = (n: number): Float32Array => {
    const a = randomArray(rng, n, 10);
    special.forEach((v, i) => i < n && (a[(i * 7) % n] = v));
    return a;
  };
  const same = (got: Float32Array, want: readonly number[], what: string): void => {
    for (let i = 0; i < got.length; i++) {
      if (!Object.is(got[i], Math.fround(want[i]!))) throw new Error(`${be.name} ${what}: value ${i} is ${got[i]}, expected ${Math.fround(want[i]!)}`);
    }
  };
  let checked = 0;
  for (const [rows, m] of [
    [1, 1],
    [1, 3],
    [1, 17],
    [1, 1000],
    [5, 7],
    [64, 33],
    [3, 64],
  ] as const) {
    const a = sample(rows * m),
      b = sample(m),
      out = randomArray(rng, rows * m);
    be.addRows(a, b, out, rows, m);
    same(
      out,
      Array.from({ length: rows * m }, (_, i) => a[i]! + b[i % m]!),
      `addRows ${rows}×${m}`,
    );
    const dst = sample(rows * m),
      src = sample(rows * m);
    const want = Array.from({ length: rows * m }, (_, i) => dst[i]! + src[i]!);
    be.accumulate(dst, src, rows * m);
    same(dst, want, `accumulate ${rows * m}`);
    // zero(): every value of the array, and nothing around it (a view inside a larger array),
    // in plain memory and, for the small cases, in the backend's own where it has one.
    for (const resident of rows * m + 2 <= ZERO_RESIDENT && block ? [false, true] : [false]) {
      const values = sample(rows * m + 2);
      const around = resident ? new Float32Array(block!.buffer, block!.byteOffset, rows * m + 2) : values;
      around.set(values);
      const want0 = Array.from(around, (v, i) => (i === 0 || i === around.length - 1 ? v : 0));
      be.zero(around.subarray(1, 1 + rows * m));
      same(around, want0, `zero ${rows * m}${resident ? ' (resident)' : ''}`);
      checked++;
    }
    checked += 2;
  }
  return checked;
}

/** LayerNorm forward (statistics included) and backward, with and without bias, odd widths. */
export function checkLayerNorm(be: Backend): number {
  const rng = new Rng(15);
  let checked = 0;
  for (const [rows, c] of [
    [1, 1],
    [1, 3],
    [5, 7],
    [17, 16],
    [64, 128],
    [3, 130],
  ] as const) {
    const x = randomArray(rng, rows * c, 2),
      w = randomArray(rng, c),
      b = randomArray(rng, c);
    for (let i = 0; i < rows * c; i++) addAt(x, i, 3); // an offset mean, as real activations have
    for (const withBias of [false, true]) {
      const tag = `${be.name} layerNorm ${rows}×${c} bias=${withBias}`;
      const run = (k: Backend): Float32Array[] => {
        const y = new Float32Array(rows * c),
          mean = new Float32Array(rows),
          rstd = new Float32Array(rows);
        k.layerNormForward(x, w, withBias ? b : null, y, mean, rstd, rows, c, 1e-5);
        return [y, mean, rstd];
      };
      const want = run(jsBackend),
        got = run(be);
      ['y', 'mean', 'rstd'].forEach((name, i) => expectClose(got[i]!, want[i]!, 2e-5, `${tag} ${name}`));
      const dy = randomArray(rng, rows * c);
      for (const mask of [7, 1, 6]) {
        const grads = (k: Backend): (Float32Array | null)[] => {
          const g = [
            mask & 1 ? randomArray(new Rng(1), rows * c) : null,
            mask & 2 ? randomArray(new Rng(2), c) : null,
            mask & 4 && withBias ? randomArray(new Rng(3), c) : null,
          ];
          k.layerNormBackward(x, w, want[1]!, want[2]!, dy, g[0]!, g[1]!, g[2]!, rows, c);
          return g;
        };
        const gw = grads(jsBackend),
          gg = grads(be);
        ['dx', 'dw', 'db'].forEach((name, i) => {
          if (gw[i]) expectClose(gg[i]!, gw[i]!, 2e-5 * Math.sqrt(rows), `${tag} ${name} (mask ${mask})`);
        });
        checked++;
      }
    }
  }
  return checked;
}

/** RMSNorm forward (with 1/rms) and backward, odd widths. */
export function checkRmsNorm(be: Backend): number {
  const rng = new Rng(16);
  let checked = 0;
  for (const [rows, c] of [
    [1, 1],
    [1, 3],
    [5, 7],
    [17, 16],
    [64, 128],
    [3, 130],
  ] as const) {
    const tag = `${be.name} rmsNorm ${rows}×${c}`;
    const x = randomArray(rng, rows * c, 2),
      w = randomArray(rng, c);
    const run = (k: Backend): Float32Array[] => {
      const y = new Float32Array(rows * c),
        rrms = new Float32Array(rows);
      k.rmsNormForward(x, w, y, rrms, rows, c, 1e-5);
      return [y, rrms];
    };
    const want = run(jsBackend),
      got = run(be);
    ['y', 'rrms'].forEach((name, i) => expectClose(got[i]!, want[i]!, 2e-5, `${tag} ${name}`));
    const dy = randomArray(rng, rows * c);
    for (const mask of [3, 1, 2]) {
      const grads = (k: Backend): (Float32Array | null)[] => {
        const g = [mask & 1 ? randomArray(new Rng(1), rows * c) : null, mask & 2 ? randomArray(new Rng(2), c) : null];
        k.rmsNormBackward(x, w, want[1]!, dy, g[0]!, g[1]!, rows, c);
        return g;
      };
      const gw = grads(jsBackend),
        gg = grads(be);
      ['dx', 'dw'].forEach((name, i) => {
        if (gw[i]) expectClose(gg[i]!, gw[i]!, 2e-5 * Math.sqrt(rows), `${tag} ${name} (mask ${mask})`);
      });
      checked++;
    }
  }
  return checked;
}

/** Fused softmax + cross-entropy: probabilities, per-token loss, sums, ignored rows, ties, odd V. */
export function checkCrossEntropy(be: Backend): number {
  const rng = new Rng(17);
  let checked = 0;
  for (const [rows, V] of [
    [1, 1],
    [3, 5],
    [17, 96],
    [64, 512],
    [5, 130],
  ] as const) {
    const tag = `${be.name} crossEntropy ${rows}×${V}`;
    const logits = randomArray(rng, rows * V, 3);
    const targets = Int32Array.from({ length: rows }, (_, r) => (r % 4 === 3 ? -1 : rng.int(V)));
    if (rows >= 3 && V >= 3) logits.set([2, 2, 2], V); // a tie: argmax is the first of them
    const run = (k: Backend): { probs: Float32Array; perToken: Float32Array; sums: { total: number; count: number; correct: number } } => {
      const probs = new Float32Array(rows * V),
        perToken = new Float32Array(rows);
      return { probs, perToken, sums: k.crossEntropyForward(logits, targets, rows, V, probs, perToken) };
    };
    const want = run(jsBackend),
      got = run(be);
    expectClose(got.probs, want.probs, 2e-6, `${tag} probs`);
    expectClose(got.perToken, want.perToken, 2e-6, `${tag} perToken`);
    if (Math.abs(got.sums.total - want.sums.total) > 1e-5 * Math.max(1, Math.abs(want.sums.total)))
      throw new Error(`${tag}: total ${got.sums.total} vs ${want.sums.total}`);
    if (got.sums.count !== want.sums.count || got.sums.correct !== want.sums.correct)
      throw new Error(`${tag}: count/correct ${got.sums.count}/${got.sums.correct} vs ${want.sums.count}/${want.sums.correct}`);
    const dxWant = randomArray(new Rng(3), rows * V),
      dxGot = dxWant.slice();
    jsBackend.crossEntropyBackward(want.probs, targets, rows, V, 0.37, dxWant);
    be.crossEntropyBackward(want.probs, targets, rows, V, 0.37, dxGot);
    expectClose(dxGot, dxWant, 1e-6, `${tag} dlogits`);
    // A target out of range is the reference's RangeError, naming the first bad row.
    const bad = targets.slice();
    bad[rows - 1] = V;
    let message = '';
    try {
      be.crossEntropyForward(logits, bad, rows, V, new Float32Array(rows * V), new Float32Array(rows));
    } catch (e) {
      message = e instanceof RangeError ? e.message : `not a RangeError: ${String(e)}`;
    }
    if (message !== `crossEntropy: target ${V} at row ${rows - 1} is outside [0, ${V})`) throw new Error(`${tag}: bad target gave "${message}"`);
    checked += 2;
  }
  return checked;
}

/** AdamW: bit-identical to the reference (both compute in double, round once per store). */
export function checkAdamW(be: Backend): number {
  const rng = new Rng(18);
  let checked = 0;
  for (const n of [1, 2, 3, 17, 1000]) {
    const w0 = randomArray(rng, n),
      m0 = randomArray(rng, n, 0.01),
      v0 = randomArray(rng, n, 0.01).map(Math.abs);
    for (const [t, wd] of [
      [1, 0],
      [7, 0.1],
      [1000, 0.1],
    ] as const) {
      const hp = { lr: 3e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: wd, c1: 1 - 0.9 ** t, c2: 1 - 0.95 ** t };
      const g = randomArray(rng, n);
      const a = [w0.slice(), m0.slice(), v0.slice()] as const,
        b = [w0.slice(), m0.slice(), v0.slice()] as const;
      jsBackend.adamwStep(a[0], g, a[1], a[2], n, hp);
      be.adamwStep(b[0], g, b[1], b[2], n, hp);
      ['w', 'm', 'v'].forEach((name, i) => {
        const x = a[i]!,
          y = b[i]!;
        for (let j = 0; j < n; j++)
          if (!Object.is(x[j], y[j])) throw new Error(`${be.name} adamw n=${n} t=${t} ${name}[${j}]: ${y[j]} vs reference ${x[j]} (must be identical)`);
      });
      checked++;
    }
  }
  return checked;
}

/**
 * The one-token decoding kernels (matvec, stacked matvecs, attention over a cache) against the JS ones
 * (jsDecode.ts), which the decoder test checks against the full forward pass; sizes straddle
 * the WASM matvec's blocks (4 rows, 8 columns) and GQA groups.
 */
export function checkDecode(be: Backend, { bigStacks = false } = {}): number {
  const k = be.decode ?? jsDecode;
  const owner = {};
  const rng = new Rng(21);
  const resident = (src: Float32Array): Float32Array => {
    const a = k.alloc(src.length, owner);
    if (!a) throw new Error(`${be.name}: no room for ${src.length} resident floats`);
    if (!k.resident(a)) throw new Error(`${be.name}: an alloc()'d array is not resident`);
    a.set(src);
    return a;
  };
  let checked = 0;
  for (const [rows, cols] of [
    [1, 1],
    [3, 7],
    [4, 8],
    [5, 9],
    [17, 33],
    [64, 288],
    [131, 172],
  ] as const) {
    const w = randomArray(rng, rows * cols),
      x = randomArray(rng, cols),
      bias = randomArray(rng, rows);
    for (const withBias of [false, true]) {
      const want = new Float32Array(rows);
      jsDecode.matvec(w, x, withBias ? bias : null, want, rows, cols);
      const got = resident(new Float32Array(rows));
      k.matvec(resident(w), resident(x), withBias ? resident(bias) : null, got, rows, cols);
      expectClose(got, want, 1e-5 * Math.sqrt(cols), `${be.name} matvec ${rows}×${cols} bias=${withBias}`);
      checked++;
    }
  }
  // Stacked products (q/k/v, gate/up) against one matvec each. The big ones (for compute threads,
  // whose parts then cross from one matrix to the next) need more memory than some checks allow.
  const stacks: [readonly number[], number][] = [
    [[5], 9],
    [[3, 7], 33],
    [[17, 4, 9], 8],
    [[40, 12, 12], 64],
  ];
  if (bigStacks) stacks.push([[288, 96, 96], 288], [[700, 768], 64]);
  for (const [rowsOf, cols] of stacks) {
    const parts = rowsOf.map((rows, i) => ({ w: randomArray(rng, rows * cols), bias: i === 1 ? randomArray(rng, rows) : null, rows }));
    const x = randomArray(rng, cols);
    const ys = rowsOf.map((rows) => resident(new Float32Array(rows)));
    k.matvecStack(
      parts.map((p, i) => ({ w: resident(p.w), bias: p.bias && resident(p.bias), y: ys[i]!, rows: p.rows })),
      resident(x),
      cols,
    );
    parts.forEach((p, i) => {
      const want = new Float32Array(p.rows);
      jsDecode.matvec(p.w, x, p.bias, want, p.rows, cols);
      expectClose(ys[i]!, want, 1e-5 * Math.sqrt(cols), `${be.name} matvecStack ${rowsOf.join('+')}×${cols}, product ${i}`);
    });
    checked++;
  }
  for (const [n, nH, nKv, hs] of [
    [1, 1, 1, 1],
    [5, 2, 1, 3],
    [17, 8, 4, 8],
    [64, 6, 6, 48],
    [3, 4, 2, 6],
    // Four positions at a time when the head size is a multiple of 4, then the rest one by one.
    [4, 2, 2, 4],
    [7, 2, 1, 4],
    [37, 8, 4, 8],
  ] as const) {
    const q = randomArray(rng, nH * hs),
      kc = randomArray(rng, (n + 2) * nKv * hs),
      vc = randomArray(rng, (n + 2) * nKv * hs);
    const want = new Float32Array(nH * hs),
      wantAtt = new Float32Array(nH * n);
    jsDecode.attention(q, kc, vc, want, wantAtt, n, nH, nKv, hs, 1 / Math.sqrt(hs));
    // The cache holds more rows than are visible (n of n + 2): the rest must not count.
    const got = resident(new Float32Array(nH * hs)),
      gotAtt = resident(new Float32Array(nH * n));
    k.attention(resident(q), resident(kc), resident(vc), got, gotAtt, n, nH, nKv, hs, 1 / Math.sqrt(hs));
    expectClose(gotAtt, wantAtt, 1e-5, `${be.name} decode attention n=${n} H=${nH}/${nKv} hs=${hs} weights`);
    expectClose(got, want, 1e-5, `${be.name} decode attention n=${n} H=${nH}/${nKv} hs=${hs} out`);
    checked++;
  }
  return checked;
}

/**
 * Resident blocks: zeroed, usable by the kernels in place (a linear whose weights and output
 * are resident equals the copied-in one), and still valid after the memory grows.
 */
export function checkResident(be: Backend): number {
  if (!be.residentBytes) return 0;
  const owner = {};
  const rng = new Rng(22);
  const floatsIn = (n: number): Float32Array => {
    const b = be.residentBytes!(4 * n, owner);
    if (!b) throw new Error(`${be.name}: no room for a resident block`);
    if (b.some((v) => v !== 0)) throw new Error(`${be.name}: a resident block is not zeroed`);
    return new Float32Array(b.buffer, b.byteOffset, n);
  };
  const [rows, inF, outF] = [7, 33, 19];
  const x = randomArray(rng, rows * inF),
    w = randomArray(rng, outF * inF);
  const want = new Float32Array(rows * outF);
  jsBackend.linearForward(x, w, null, want, rows, inF, outF);
  const rw = floatsIn(outF * inF);
  rw.set(w);
  const ry = floatsIn(rows * outF);
  be.linearForward(x, rw, null, ry, rows, inF, outF);
  expectClose(ry, want, 1e-5 * Math.sqrt(inF), `${be.name} linear with resident weights and output`);
  // A call needing far more scratch than there is grows the memory; the resident views stay valid.
  const big = 1 << 22;
  be.matmul(new Float32Array(big), new Float32Array(1), new Float32Array(big), big, 1, 1);
  if (rw.length !== outF * inF || rw[3] !== w[3]) throw new Error(`${be.name}: a resident view changed when the memory grew`);
  be.linearForward(x, rw, null, ry, rows, inF, outF);
  expectClose(ry, want, 1e-5 * Math.sqrt(inF), `${be.name} linear with resident weights after growth`);
  return 2;
}

/**
 * The non-finite scan: the first NaN or ±Inf (any NaN payload) among resident floats, found in a
 * SIMD block or the tail, and never one of the finite extremes (largest, subnormal, −0); null for
 * an array outside the kernels' memory. Against a plain x − x ≠ 0 scan.
 */
export function checkFiniteScan(be: Backend): number {
  if (!be.firstNonFinite) return 0;
  const owner = {};
  // Resident memory where the backend has it (none left: nothing to check), else a plain array.
  const floats = (n: number): Float32Array | null => {
    if (!be.residentBytes) return new Float32Array(n);
    const block = be.residentBytes(4 * n, owner);
    return block && new Float32Array(block.buffer, block.byteOffset, n);
  };
  const reference = (a: Float32Array): number => a.findIndex((x) => x - x !== 0);
  const bits = new Uint32Array(1),
    asFloat = new Float32Array(bits.buffer);
  const nanWithPayload = (p: number): number => ((bits[0] = 0x7f800000 | p), asFloat[0]!);
  const finite = [3.4028234663852886e38, -3.4028234663852886e38, 1.4e-45, -0, 0, 1];
  let checked = 0;
  for (const n of [1, 15, 16, 17, 63, 64, 1000, 4099]) {
    const a = floats(n);
    if (!a) continue;
    for (let i = 0; i < n; i++) a[i] = finite[i % finite.length]!;
    if (be.firstNonFinite(a) !== -1) throw new Error(`${be.name}: firstNonFinite found a non-finite value among ${n} finite ones`);
    for (const at of new Set([0, Math.floor(n / 2), n - 1, Math.max(0, n - 3)])) {
      for (const bad of [NaN, Infinity, -Infinity, nanWithPayload(1), nanWithPayload(0x400001)]) {
        a[at] = bad;
        if (n > 8) a[n - 1] = at === n - 1 ? bad : Infinity; // a later one must not be reported first
        const got = be.firstNonFinite(a);
        if (got !== reference(a)) throw new Error(`${be.name}: firstNonFinite gave ${got}, expected ${reference(a)} (n ${n}, ${bad} at ${at})`);
        for (let i = 0; i < n; i++) a[i] = finite[i % finite.length]!;
        checked++;
      }
    }
  }
  if (be.residentBytes?.(4, owner) && be.firstNonFinite(new Float32Array(4)) !== null)
    throw new Error(`${be.name}: firstNonFinite answered for an array outside its memory`);
  return checked;
}

/** A kernel of the Backend contract (everything but its name, memory report and threads, which computeThreads.test.ts covers). */
export type KernelName = Exclude<keyof Backend, 'name' | 'memoryBytes' | 'useThreads' | 'threadStatus'>;

/**
 * The check that covers each kernel of the Backend contract against the JS reference. A
 * Record, so a kernel added to Backend without a check here is a compile error.
 */
export const KERNEL_CHECKS: Record<KernelName, (be: Backend) => number> = {
  matmul: checkMatmul,
  attentionForward: checkAttention,
  attentionBackward: checkAttention,
  linearForward: checkLinear,
  linearBackward: checkLinear,
  linearForwardHalf: checkHalfKernels,
  geluForward: checkActivations,
  geluBackward: checkActivations,
  siluForward: checkActivations,
  siluBackward: checkActivations,
  addRows: checkSums,
  accumulate: checkSums,
  zero: checkSums,
  layerNormForward: checkLayerNorm,
  layerNormBackward: checkLayerNorm,
  rmsNormForward: checkRmsNorm,
  rmsNormBackward: checkRmsNorm,
  crossEntropyForward: checkCrossEntropy,
  crossEntropyBackward: checkCrossEntropy,
  adamwStep: checkAdamW,
  decode: checkDecode,
  residentBytes: checkResident,
  firstNonFinite: checkFiniteScan,
};

/** Every kernel check (each once); returns how many cases ran. */
export function checkAllKernels(be: Backend): number {
  return [...new Set(Object.values(KERNEL_CHECKS))].reduce((n, check) => n + check(be), 0);
}
