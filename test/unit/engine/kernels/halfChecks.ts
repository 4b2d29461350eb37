/**
 * The 16-bit weight kernels (DecodeKernels.matvecHalf, Backend.linearForwardHalf) of a backend
 * against a scalar reference computed here in double precision from independently decoded
 * values (test/helpers/halfFloats.ts): shapes with remainders (columns not a multiple of 8,
 * rows not of 4), negative and subnormal weights, and every finite bit pattern widened exactly.
 */

import type { Backend } from '../../../../src/engine/kernels/backend';
import type { HalfBits, HalfDtype } from '../../../../src/engine/half';
import { jsDecode } from '../../../../src/engine/kernels/jsDecode';
import { Rng } from '../../../../src/engine/random';
import { bf16Value, f16Value, finitePatterns, toBf16Bits, toF16Bits } from '../../../helpers/halfFloats';

const SHAPES: readonly (readonly [number, number])[] = [
  [1, 1],
  [3, 7],
  [4, 8],
  [5, 9],
  [7, 17],
  [17, 33],
  [64, 288],
  [131, 172],
];

const valueOf = (dtype: HalfDtype): ((h: number) => number) => (dtype === 'f16' ? f16Value : bf16Value);

/** Random weights: normal values, some negative subnormals and positive ones, some zeros of either sign. */
function randomBits(rng: Rng, n: number, dtype: HalfDtype): Uint16Array {
  const enc = dtype === 'f16' ? toF16Bits : toBf16Bits;
  const b = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    if (u < 0.1) b[i] = (dtype === 'f16' ? 1 + Math.floor(rng.uniform() * 1023) : 1 + Math.floor(rng.uniform() * 127)) | (rng.uniform() < 0.5 ? 0x8000 : 0);
    else if (u < 0.13) b[i] = rng.uniform() < 0.5 ? 0x8000 : 0;
    else b[i] = enc(rng.normal());
  }
  return b;
}

function randomFloats(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

/** |got − want| ≤ tol·Σ|terms| per output, the bound float32 summation in any order meets. */
function expectDots(got: Float32Array, want: Float64Array, mag: Float64Array, what: string): void {
  for (let i = 0; i < want.length; i++) {
    const bound = 2e-6 * mag[i]! + 1e-30;
    if (!(Math.abs(got[i]! - want[i]!) <= bound)) throw new Error(`${what}[${i}]: ${got[i]} vs reference ${want[i]} (bound ${bound})`);
  }
}

/** y = W·x (+ b) in double, from the decoded weights, and Σ|terms| per row. */
function reference(
  bits: Uint16Array,
  dtype: HalfDtype,
  x: Float32Array,
  bias: Float32Array | null,
  rows: number,
  cols: number,
  xRows = 1,
): [Float64Array, Float64Array] {
  const v = valueOf(dtype);
  const want = new Float64Array(rows * xRows),
    mag = new Float64Array(rows * xRows);
  for (let t = 0; t < xRows; t++)
    for (let r = 0; r < rows; r++) {
      let s = bias ? bias[r]! : 0,
        m = Math.abs(s);
      for (let j = 0; j < cols; j++) {
        const p = v(bits[r * cols + j]!) * x[t * cols + j]!;
        s += p;
        m += Math.abs(p);
      }
      want[t * rows + r] = s;
      mag[t * rows + r] = m;
    }
  return [want, mag];
}

export function checkHalfKernels(be: Backend): number {
  const k = be.decode ?? jsDecode;
  const owner = {};
  const rng = new Rng(41);
  const floats = (src: Float32Array): Float32Array => {
    const a = k.alloc(src.length, owner);
    if (!a) throw new Error(`${be.name}: no room for ${src.length} resident floats`);
    a.set(src);
    return a;
  };
  /** 16-bit values where the kernels read them in place (an alloc()'d block viewed as 16-bit). */
  const halves = (dtype: HalfDtype, src: Uint16Array): HalfBits => {
    const a = k.alloc(Math.ceil(src.length / 2), owner)!;
    const bits = new Uint16Array(a.buffer, a.byteOffset, src.length);
    bits.set(src);
    return { dtype, bits };
  };
  let checked = 0;
  for (const dtype of ['f16', 'bf16'] as const) {
    for (const [rows, cols] of SHAPES) {
      const bits = randomBits(rng, rows * cols, dtype),
        x = randomFloats(rng, cols),
        bias = randomFloats(rng, rows);
      const w = halves(dtype, bits),
        rx = floats(x),
        rb = floats(bias),
        got = floats(new Float32Array(rows));
      for (const withBias of [false, true]) {
        const [want, mag] = reference(bits, dtype, x, withBias ? bias : null, rows, cols);
        k.matvecHalf(w, rx, withBias ? rb : null, got, rows, cols);
        expectDots(got, want, mag, `${be.name} ${dtype} matvec ${rows}×${cols} bias=${withBias}`);
        // The linear layer: several rows of x, weights resident or not.
        const xRows = 3,
          xs = randomFloats(rng, xRows * cols);
        const [wantL, magL] = reference(bits, dtype, xs, withBias ? bias : null, rows, cols, xRows);
        for (const wl of [w, { dtype, bits: bits.slice() }]) {
          const y = new Float32Array(xRows * rows);
          be.linearForwardHalf(xs, wl, withBias ? bias : null, y, xRows, cols, rows);
          expectDots(y, wantL, magL, `${be.name} ${dtype} linear ${xRows}×${cols}→${rows} bias=${withBias}`);
        }
        checked += 3;
      }
    }
    checked += checkEveryPattern(be, dtype, floats);
  }
  return checked;
}

/**
 * Every finite pattern widens exactly: through the linear layer (W [n, 1] times x = [1]) and
 * through matvec's SIMD path (W [n/8, 8] times each unit vector, picking one column).
 */
function checkEveryPattern(be: Backend, dtype: HalfDtype, floats: (a: Float32Array) => Float32Array): number {
  const k = be.decode ?? jsDecode;
  const all = finitePatterns(dtype);
  const n = all.length - (all.length % 8);
  const pats = all.subarray(0, n);
  const v = valueOf(dtype);
  const y = new Float32Array(n);
  // Not resident: the backend copies them in (or, with no room, runs the JS reference).
  be.linearForwardHalf(Float32Array.of(1), { dtype, bits: pats }, null, y, 1, 1, n);
  for (let i = 0; i < n; i++) {
    if (y[i] !== v(pats[i]!)) throw new Error(`${be.name} ${dtype} linear widens 0x${pats[i]!.toString(16)} to ${y[i]}, not ${v(pats[i]!)}`);
  }
  const rows = n / 8;
  // Where the kernels' memory cannot grow (a test of that fallback) there may be no room for this part.
  const block = k.alloc(n / 2, {});
  if (!block) return 1;
  const w: HalfBits = { dtype, bits: new Uint16Array(block.buffer, block.byteOffset, n) };
  w.bits.set(pats);
  const out = floats(new Float32Array(rows));
  for (let j = 0; j < 8; j++) {
    const x = new Float32Array(8);
    x[j] = 1;
    k.matvecHalf(w, floats(x), null, out, rows, 8);
    for (let r = 0; r < rows; r++) {
      const h = pats[r * 8 + j]!;
      if (out[r] !== v(h)) throw new Error(`${be.name} ${dtype} matvec widens 0x${h.toString(16)} to ${out[r]}, not ${v(h)}`);
    }
  }
  return 2;
}
