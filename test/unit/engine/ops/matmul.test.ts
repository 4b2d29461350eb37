import assert from 'node:assert/strict';
import { linear, matmul } from '../../../../src/engine/ops/matmul';
import { addAt } from '../../../../src/engine/elements';
import { Rng } from '../../../../src/engine/random';
import { Tensor } from '../../../../src/engine/tensor';
import { assertClose, gradCheck, randomTensor } from '../../../helpers/gradCheck';

describe('ops/matmul', () => {
  const A = Tensor.from([1, 2, 3, 4], [2, 2]);
  const B = Tensor.from([5, 6, 7, 8], [2, 2]);

  it('multiplies 2-D matrices, with every transpose variant (hand-computed)', () => {
    assert.deepEqual([...matmul(null, A, B).data], [19, 22, 43, 50]);
    assert.deepEqual([...matmul(null, A, B, { transB: true }).data], [17, 23, 39, 53]);
    assert.deepEqual([...matmul(null, A, B, { transA: true }).data], [26, 30, 38, 44]);
    assert.deepEqual([...matmul(null, A, B, { transA: true, transB: true }).data], [23, 31, 34, 46]);
  });

  it('rejects mismatched inner dimensions with both shapes in the message', () => {
    assert.throws(() => matmul(null, A, Tensor.zeros([3, 2])), /inner dimensions differ.*\[2, 2\].*\[3, 2\]/);
  });

  it('linear computes x·Wᵀ + b over leading axes (hand-computed)', () => {
    const x = Tensor.from([1, 2, -1, 0], [2, 1, 2]);
    const w = Tensor.from([1, 0, 0, 1, 1, 1], [3, 2]);
    const b = Tensor.from([0.5, 0, -1], [3]);
    const y = linear(null, x, w, b);
    assert.deepEqual(y.shape, [2, 1, 3]);
    assert.deepEqual([...y.data], [1.5, 2, 2, -0.5, 0, -2]);
  });

  for (const [transA, transB] of [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const) {
    it(`matmul gradients match finite differences (transA=${transA}, transB=${transB}, odd sizes)`, () => {
      const rng = new Rng(1);
      const [m, k, n] = [3, 5, 7];
      const a = randomTensor(rng, transA ? [k, m] : [m, k]);
      const b = randomTensor(rng, transB ? [n, k] : [k, n]);
      gradCheck([a, b], (tape) => matmul(tape, a, b, { transA, transB }));
    });
  }

  it('linear gradients (input, weight, bias) match finite differences', () => {
    const rng = new Rng(2);
    const x = randomTensor(rng, [2, 3, 5]);
    const w = randomTensor(rng, [4, 5]);
    const b = randomTensor(rng, [4]);
    gradCheck([x, w, b], (tape) => linear(tape, x, w, b));
  });

  it('agrees with a naive triple loop on awkward shapes (1, 17, 33)', () => {
    const rng = new Rng(3);
    for (const [m, k, n] of [
      [1, 1, 1],
      [17, 3, 1],
      [1, 33, 17],
      [5, 17, 33],
    ]) {
      const a = randomTensor(rng, [m!, k!], 1, false);
      const b = randomTensor(rng, [k!, n!], 1, false);
      const expected = new Float64Array(m! * n!);
      for (let i = 0; i < m!; i++)
        for (let j = 0; j < n!; j++) for (let p = 0; p < k!; p++) addAt(expected, i * n! + j, a.data[i * k! + p]! * b.data[p * n! + j]!);
      assertClose(matmul(null, a, b).data, expected, 1e-5, `matmul ${m}x${k}x${n}`);
    }
  });
});
