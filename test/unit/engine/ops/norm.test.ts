import { layerNorm, rmsNorm } from '../../../../src/engine/ops/norm';
import { Rng } from '../../../../src/engine/random';
import { Tensor } from '../../../../src/engine/tensor';
import { assertClose, gradCheck, randomTensor } from '../../../helpers/gradCheck';

describe('ops/norm', () => {
  it('layerNorm normalises each row, then scales and shifts (hand-computed)', () => {
    const x = Tensor.from([1, 2, 3, 10, 10, 10], [2, 3]);
    const y = layerNorm(null, x, Tensor.from([1, 2, 1], [3]), Tensor.from([0, 0, 5], [3]), 1e-5);
    const s = 1 / Math.sqrt(2 / 3 + 1e-5);
    assertClose(y.data, [-s, 0, s + 5, 0, 0, 5], 1e-5);
  });

  it('rmsNorm divides by the root mean square and scales (hand-computed)', () => {
    const y = rmsNorm(null, Tensor.from([3, 4], [1, 2]), Tensor.from([1, 0.5], [2]), 0);
    const rms = Math.sqrt(12.5);
    assertClose(y.data, [3 / rms, (0.5 * 4) / rms], 1e-6);
  });

  it('layerNorm gradients (x, weight, bias) match finite differences', () => {
    const rng = new Rng(12);
    const x = randomTensor(rng, [4, 6]);
    const w = randomTensor(rng, [6]);
    const b = randomTensor(rng, [6]);
    gradCheck([x, w, b], (tape) => layerNorm(tape, x, w, b));
  });

  it('rmsNorm gradients (x, weight) match finite differences', () => {
    const rng = new Rng(13);
    const x = randomTensor(rng, [4, 6]);
    const w = randomTensor(rng, [6]);
    gradCheck([x, w], (tape) => rmsNorm(tape, x, w));
  });
});
