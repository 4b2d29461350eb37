import { rope } from '../../../../src/engine/ops/rope';
import { Rng } from '../../../../src/engine/random';
import { Tensor } from '../../../../src/engine/tensor';
import { assertClose, gradCheck, randomTensor } from '../../../helpers/gradCheck';

describe('ops/rope (rotary position embeddings)', () => {
  it('rotates the first pair by pos·1 radian and leaves position 0 alone (hand-computed)', () => {
    const x = Tensor.from([1, 0, 1, 0], [1, 2, 2]);
    const y = rope(null, x, { nHeads: 1, theta: 10000, style: 'interleaved' });
    assertClose(y.data, [1, 0, Math.cos(1), Math.sin(1)], 1e-6);
  });

  it('uses frequency θ^(−2m/hs) for pair m (hand-computed, hs = 4, pos 2)', () => {
    const x = Tensor.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0], [1, 3, 4]);
    const y = rope(null, x, { nHeads: 1, theta: 100, style: 'interleaved' });
    const a1 = 2 * Math.pow(100, -2 / 4);
    assertClose(y.data.subarray(8), [Math.cos(2), Math.sin(2), Math.cos(a1), Math.sin(a1)], 1e-6);
  });

  it('the half (rotate_half) style equals the interleaved style under the export permutation', () => {
    const rng = new Rng(41);
    const [T, H, hs] = [3, 2, 4];
    const x = randomTensor(rng, [1, T, H * hs], 1, false);
    // interleaved pairs (2m, 2m+1) ↔ half pairs (m, m + hs/2)
    const perm = (src: Float32Array, toHalf: boolean): Float32Array => {
      const out = new Float32Array(src.length);
      for (let base = 0; base < src.length; base += hs) {
        for (let m = 0; m < hs / 2; m++) {
          const [i0, i1, h0, h1] = [base + 2 * m, base + 2 * m + 1, base + m, base + m + hs / 2];
          if (toHalf) {
            out[h0] = src[i0]!;
            out[h1] = src[i1]!;
          } else {
            out[i0] = src[h0]!;
            out[i1] = src[h1]!;
          }
        }
      }
      return out;
    };
    const inter = rope(null, x, { nHeads: H, theta: 10000, style: 'interleaved' });
    const half = rope(null, new Tensor(perm(x.data, true), x.shape), { nHeads: H, theta: 10000, style: 'half' });
    assertClose(perm(half.data, false), inter.data, 1e-6);
  });

  it('gradients match finite differences for both styles and a position offset', () => {
    const rng = new Rng(42);
    const x = randomTensor(rng, [2, 3, 8]);
    gradCheck([x], (tape) => rope(tape, x, { nHeads: 2, theta: 10000, style: 'interleaved', positionOffset: 5 }));
    gradCheck([x], (tape) => rope(tape, x, { nHeads: 2, theta: 500, style: 'half' }));
  });
});
