import assert from 'node:assert/strict';
import { gelu, silu } from '../../../../src/engine/ops/activation';
import { add, mul, scale } from '../../../../src/engine/ops/add';
import { dropout } from '../../../../src/engine/ops/dropout';
import { embedding, TokenIdError } from '../../../../src/engine/ops/embedding';
import { Rng } from '../../../../src/engine/random';
import { Tensor } from '../../../../src/engine/tensor';
import { assertClose, gradCheck, randomTensor } from '../../../helpers/gradCheck';

describe('ops/pointwise: add, mul, scale, gelu, silu, embedding, dropout', () => {
  it('add broadcasts a suffix shape over leading axes (hand-computed)', () => {
    const y = add(null, Tensor.from([1, 2, 3, 4], [2, 2]), Tensor.from([10, 20], [2]));
    assert.deepEqual([...y.data], [11, 22, 13, 24]);
    assert.throws(() => add(null, Tensor.zeros([2, 2]), Tensor.zeros([3])), /does not broadcast/);
  });

  it('add, mul and scale gradients match finite differences', () => {
    const rng = new Rng(4);
    const a = randomTensor(rng, [3, 4]);
    const b = randomTensor(rng, [4]);
    const c = randomTensor(rng, [3, 4]);
    gradCheck([a, b], (tape) => add(tape, a, b));
    gradCheck([a, c], (tape) => mul(tape, a, c));
    gradCheck([a], (tape) => scale(tape, a, -2.5));
  });

  it('gelu (tanh form) and silu match hand-computed values', () => {
    const x = Tensor.from([0, 1, -1, 3], [4]);
    assertClose(gelu(null, x).data, [0, 0.841192, -0.158808, 2.996363], 1e-5, 'gelu');
    assertClose(silu(null, x).data, [0, 0.7310586, -0.2689414, 2.857722], 1e-5, 'silu');
  });

  it('gelu and silu gradients match finite differences', () => {
    const rng = new Rng(5);
    const x = randomTensor(rng, [2, 9], 2);
    gradCheck([x], (tape) => gelu(tape, x));
    gradCheck([x], (tape) => silu(tape, x));
  });

  it('embedding looks up rows and scatters gradients, repeated ids accumulating', () => {
    const table = Tensor.from([0, 1, 10, 11, 20, 21], [3, 2], true);
    const ids = Int32Array.of(2, 0, 2);
    assert.deepEqual([...embedding(null, table, ids, [3]).data], [20, 21, 0, 1, 20, 21]);
    gradCheck([table], (tape) => embedding(tape, table, ids, [1, 3]));
    assert.throws(() => embedding(null, table, Int32Array.of(3), [1]), TokenIdError);
  });

  it('dropout zeroes about p of the elements, scales survivors by 1/(1−p), and is the identity without an Rng', () => {
    const x = Tensor.from(new Array(10000).fill(1), [10000]);
    const y = dropout(null, x, 0.25, new Rng(9));
    const zeros = y.data.filter((v) => v === 0).length;
    assert.ok(zeros > 2300 && zeros < 2700, `${zeros} zeros`);
    assert.ok(y.data.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6));
    assert.equal(dropout(null, x, 0.25, null), x);
    const rng = new Rng(6);
    const z = randomTensor(rng, [40]);
    gradCheck([z], (tape) => dropout(tape, z, 0.3, new Rng(11)));
  });
});
