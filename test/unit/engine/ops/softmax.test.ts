import assert from 'node:assert/strict';
import { Tape } from '../../../../src/engine/autograd';
import { crossEntropy, IGNORE_INDEX } from '../../../../src/engine/ops/crossEntropy';
import { softmax } from '../../../../src/engine/ops/softmax';
import { Rng } from '../../../../src/engine/random';
import { Tensor } from '../../../../src/engine/tensor';
import { assertClose, gradCheck, randomTensor } from '../../../helpers/gradCheck';

describe('ops/softmax and fused cross-entropy', () => {
  it('causal softmax masks keys after the query to exactly 0 (hand-computed)', () => {
    const y = softmax(null, Tensor.from([1, 2, 3, 4], [1, 2, 2]), { causal: true });
    const e = Math.exp(1);
    assertClose(y.data, [1, 0, 1 / (1 + e), e / (1 + e)], 1e-6);
    assert.equal(y.data[1], 0);
  });

  it('is stable for huge logits', () => {
    const y = softmax(null, Tensor.from([1000, 1000, -1000], [3]));
    assertClose(y.data, [0.5, 0.5, 0], 1e-6);
  });

  it('softmax gradients (plain and causal) match finite differences', () => {
    const rng = new Rng(21);
    const x = randomTensor(rng, [2, 4, 4]);
    gradCheck([x], (tape) => softmax(tape, x));
    gradCheck([x], (tape) => softmax(tape, x, { causal: true }));
  });

  it('cross-entropy of uniform logits is log V, and of [1,2,3]→2 is log(e+e²+e³)−3 (hand-computed)', () => {
    const r = crossEntropy(null, Tensor.from([0, 0, 0, 1, 2, 3], [2, 3]), Int32Array.of(1, 2));
    const expected = [Math.log(3), Math.log(Math.E + Math.E ** 2 + Math.E ** 3) - 3];
    assertClose(r.perToken, expected, 1e-6);
    assertClose(r.loss.data, [(expected[0]! + expected[1]!) / 2], 1e-6);
    assert.equal(r.correct, 1); // row 0 ties pick index 0 ≠ 1; row 1 argmax 2 = target
    assert.equal(r.count, 2);
  });

  it('ignored targets add nothing to the loss or the gradient', () => {
    const logits = Tensor.from([0.3, -1, 2, 0.5, 0.5, 0.5], [2, 3], true);
    const r = crossEntropy(null, logits, Int32Array.of(IGNORE_INDEX, 0));
    assert.ok(Number.isNaN(r.perToken[0]));
    assertClose(r.loss.data, [Math.log(3)], 1e-6);
    // Gradient: the ignored row gets exactly 0; the counted row gets softmax − onehot over a
    // count of 1, i.e. [1/3 − 1, 1/3, 1/3] (hand-computed: its logits are equal).
    const tape = new Tape();
    const rt = crossEntropy(tape, logits, Int32Array.of(IGNORE_INDEX, 0));
    tape.backward(rt.loss);
    const g = logits.grad;
    assert.ok(g, 'the logits should receive a gradient');
    assert.deepEqual([...g.subarray(0, 3)], [0, 0, 0], 'the ignored row must get exactly zero gradient');
    assertClose(g.subarray(3), [1 / 3 - 1, 1 / 3, 1 / 3], 1e-6, 'gradient of the counted row');
  });

  it('fused cross-entropy equals −log of the softmax composition, and its gradient matches finite differences', () => {
    const rng = new Rng(22);
    const logits = randomTensor(rng, [5, 7], 3);
    const targets = Int32Array.of(0, 6, 3, IGNORE_INDEX, 2);
    const probs = softmax(null, logits).data;
    const composed = [...targets].map((t, r) => (t < 0 ? NaN : -Math.log(probs[r * 7 + t]!)));
    assertClose(crossEntropy(null, logits, targets).perToken, composed, 1e-5);
    gradCheck([logits], (tape) => crossEntropy(tape, logits, targets).loss);
  });
});
