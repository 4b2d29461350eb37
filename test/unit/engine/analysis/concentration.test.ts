/**
 * keysForMasses (one native sort per row for several fractions, the fix of `heads`' hot spot)
 * against a plain reference written here: sort a copy largest-first and count.
 */

import assert from 'node:assert/strict';
import { keysForMasses, meanKeysForMasses } from '../../../../src/engine/analysis/concentration';
import { Rng } from '../../../../src/engine/random';

function reference(row: readonly number[], fraction: number): number {
  const w = row.map((v) => Math.max(0, v)).sort((a, b) => b - a);
  const total = w.reduce((s, v) => s + v, 0);
  if (total <= 0) return 0;
  let acc = 0;
  for (let i = 0; i < w.length; i++) {
    acc += w[i]!;
    if (acc >= fraction * total * (1 - 1e-9)) return i + 1;
  }
  return w.length;
}

describe('analysis/concentration: several mass fractions from one sort', () => {
  it('matches the reference on random rows (peaked, flat, with zeros and negatives), fractions in any order', () => {
    const rng = new Rng(11);
    for (let t = 0; t < 300; t++) {
      const n = 1 + rng.int(80);
      const power = [1, 4, 12][t % 3]!;
      const row = Array.from({ length: n }, () => (rng.uniform() < 0.1 ? -rng.uniform() : rng.uniform() ** power));
      const fractions = [0.9, 0.5, 1, 0.25];
      assert.deepEqual(
        keysForMasses(row, fractions),
        fractions.map((f) => reference(row, f)),
        `row ${t}`,
      );
    }
    assert.deepEqual(keysForMasses([0, 0], [0.5]), [0]);
    assert.throws(() => keysForMasses([1], [0.5, 1.5]), RangeError);
  });

  it('the per-head means equal the reference averaged over the causal rows', () => {
    const n = 9;
    const rng = new Rng(3);
    const a = new Float32Array(2 * n * n);
    for (let h = 0; h < 2; h++) for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[(h * n + i) * n + j] = rng.uniform() ** 3;
    const [m50, m90] = meanKeysForMasses(a, n, [0.5, 0.9], n * n);
    const rows = Array.from({ length: n }, (_, i) => Array.from(a.subarray(n * n + i * n, n * n + i * n + i + 1)));
    assert.equal(m50, rows.reduce((s, r) => s + reference(r, 0.5), 0) / n);
    assert.equal(m90, rows.reduce((s, r) => s + reference(r, 0.9), 0) / n);
  });
});
