/**
 * replaceHeads (head ablation as an op): replaced slices hold the given vector (or zeros)
 * at every position, other heads pass through bit for bit, and the backward — checked by
 * finite differences — sends no gradient through a replaced slice.
 */

import assert from 'node:assert/strict';
import { replaceHeads } from '../../../../src/engine/ops/headReplace';
import { Rng } from '../../../../src/engine/random';
import { gradCheck, randomTensor } from '../../../helpers/gradCheck';

describe('ops/replaceHeads', () => {
  const H = 4,
    hs = 3,
    B = 2,
    T = 5;

  it('writes zeros or the given vector into the chosen heads at every position; the rest is untouched', () => {
    const x = randomTensor(new Rng(1), [B, T, H * hs], 1, false);
    const mean = Float32Array.of(0.5, -1, 2);
    const y = replaceHeads(null, x, H, [
      { head: 1, value: null },
      { head: 3, value: mean },
    ]);
    for (let r = 0; r < B * T; r++) {
      for (let h = 0; h < H; h++) {
        for (let d = 0; d < hs; d++) {
          const i = r * H * hs + h * hs + d;
          const want = h === 1 ? 0 : h === 3 ? mean[d]! : x.data[i]!;
          assert.equal(y.data[i], want, `row ${r} head ${h} dim ${d}`);
        }
      }
    }
  });

  it('backward = finite differences (zero through replaced heads)', () => {
    const x = randomTensor(new Rng(2), [B, T, H * hs]);
    gradCheck([x], (tape) =>
      replaceHeads(tape, x, H, [
        { head: 0, value: Float32Array.of(1, 2, 3) },
        { head: 2, value: null },
      ]),
    );
  });

  it('refuses heads outside the layer and values of the wrong size', () => {
    const x = randomTensor(new Rng(3), [1, 2, H * hs], 1, false);
    assert.throws(() => replaceHeads(null, x, H, [{ head: 4, value: null }]), /head 4 is outside \[0, 4\)/);
    assert.throws(() => replaceHeads(null, x, H, [{ head: 1, value: new Float32Array(2) }]), /has 2 entries, the head size is 3/);
  });
});
