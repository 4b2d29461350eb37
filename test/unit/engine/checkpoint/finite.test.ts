/**
 * The load-time check for NaN and ±Inf weights (engine/checkpoint/finite.ts), against
 * Number.isFinite element by element: on float32 arrays it reads bits, so every kind of
 * non-finite bit pattern (quiet and signalling NaNs with payloads, both infinities) and the
 * finite extremes (largest, subnormal, −0) are tried, in views at an offset and in shared memory.
 */

import assert from 'node:assert/strict';
import { checkFiniteTensors, firstNonFinite } from '../../../../src/engine/checkpoint/finite';
import { CheckpointError } from '../../../../src/engine/checkpoint/errors';

/** The reference: the first index whose value Number.isFinite rejects. */
const reference = (a: ArrayLike<number>): number => Array.from(a).findIndex((x) => !Number.isFinite(x));

const fromBits = (words: number[]): Float32Array => new Float32Array(Uint32Array.from(words).buffer);

const FINITE_BITS = [0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x7f7fffff, 0xff7fffff, 0x3f800000, 0x00800000];
const NON_FINITE_BITS = [0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0x7fffffff, 0xffffffff, 0x7fa00000];

describe('engine: non-finite weights are found at load (finite.ts)', () => {
  it('finite extremes pass; each non-finite bit pattern is found where Number.isFinite finds it', () => {
    const finite = fromBits(FINITE_BITS);
    assert.equal(firstNonFinite(finite), -1);
    assert.equal(reference(finite), -1);
    for (const bad of NON_FINITE_BITS) {
      for (const at of [0, 3, FINITE_BITS.length]) {
        const words = [...FINITE_BITS];
        words.splice(at, 0, bad, 0x3f800000, bad);
        const a = fromBits(words);
        assert.equal(firstNonFinite(a), reference(a), `0x${bad.toString(16)} at ${at}`);
        assert.equal(firstNonFinite(a), at);
      }
    }
  });

  it('a view at an offset, shared memory and plain number arrays agree with the reference', () => {
    const big = new Float32Array(1 << 16).map((_, i) => Math.sin(i) * 1e30);
    big[40_000] = -Infinity;
    const view = big.subarray(1001, 50_001);
    assert.equal(firstNonFinite(view), reference(view));
    assert.equal(firstNonFinite(big.subarray(40_001)), -1);
    const shared = new Float32Array(new SharedArrayBuffer(4 * 64)).fill(2);
    shared[63] = NaN;
    assert.equal(firstNonFinite(shared), 63);
    assert.equal(firstNonFinite([1, 2, Number.NaN]), 2);
    assert.equal(firstNonFinite(Float64Array.of(1, Number.MAX_VALUE, Infinity)), 2);
  });

  it('checkFiniteTensors names the tensor, the count and the first bad index', () => {
    const ok = new Float32Array(8).fill(1);
    const bad = fromBits([0x3f800000, 0x7fc00000, 0x3f800000, 0xff800000]);
    assert.doesNotThrow(() => checkFiniteTensors([['a', { data: ok }]]));
    assert.throws(
      () =>
        checkFiniteTensors([
          ['a', { data: ok }],
          ['layers.0.wq', { data: bad }],
        ]),
      (e: Error) => e instanceof CheckpointError && /weight "layers\.0\.wq" holds 2 non-finite values of 4 \(the first, at index 1, is NaN\)/.test(e.message),
    );
  });
});
