/**
 * keysForMasses (one native sort per row for several fractions, of only the weights the largest
 * fraction can reach: the fix of `heads`' hot spot)
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

  it('long rows, where only the largest weights are sorted: attention-like (softmax of scaled scores), flat, ties, zeros, one key', () => {
    const rng = new Rng(29);
    const fractions = [0.5, 0.9, 0.99, 1];
    for (let t = 0; t < 120; t++) {
      const n = [65, 200, 1024, 2000][t % 4]!;
      const kind = Math.floor(t / 4) % 6;
      let row: number[];
      if (kind === 0 || kind === 1) {
        // softmax(scale · z): scale 8 peaks on a few keys, scale 1 spreads.
        const z = Array.from({ length: n }, () => (kind === 0 ? 8 : 1) * rng.normal());
        const m = Math.max(...z);
        const e = z.map((v) => Math.exp(v - m));
        const sum = e.reduce((a, b) => a + b, 0);
        row = e.map((v) => v / sum);
      } else if (kind === 2)
        row = Array.from({ length: n }, () => 1 / n); // all equal
      else if (kind === 3)
        row = Array.from({ length: n }, () => [0, 0.25, 0.5][rng.int(3)]!); // ties and zeros
      else if (kind === 4)
        row = Array.from({ length: n }, (_, i) => (i === rng.int(n) ? 1 : 0)); // one key, or none
      else row = Array.from({ length: n }, () => (rng.uniform() < 0.3 ? -rng.uniform() : rng.uniform() ** 6));
      const f32 = Float32Array.from(row);
      assert.deepEqual(
        keysForMasses(f32, fractions),
        fractions.map((f) => reference(Array.from(f32), f)),
        `row ${t} (kind ${kind}, ${n} keys)`,
      );
    }
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
