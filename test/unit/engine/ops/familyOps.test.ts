/**
 * The ops the new families need: erf / exact GELU (BERT, GPT-NeoX) against tabulated values and
 * finite differences, and partial RoPE (GPT-NeoX rotary_pct) against a full RoPE applied to the
 * rotated slice alone.
 */

import assert from 'node:assert/strict';
import { erf, geluErf } from '../../../../src/engine/ops/geluErf';
import { rope } from '../../../../src/engine/ops/rope';
import { Rng } from '../../../../src/engine/random';
import { Tensor } from '../../../../src/engine/tensor';
import { assertClose, gradCheck, randomTensor } from '../../../helpers/gradCheck';

describe('ops for the GPT-NeoX / BERT families', () => {
  it('erf matches tabulated values (Abramowitz & Stegun table 7.1 / mpmath) to 1.2e-7 (float32 resolution)', () => {
    const table: [number, number][] = [
      [0, 0],
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [-1.5, -0.9661051464753108],
      [2, 0.9953222650189527],
      [3, 0.9999779095030014],
      [3.5, 0.9999992569016276],
      [-4, -0.9999999845827421],
      [7, 1],
    ];
    for (const [x, want] of table) assert.ok(Math.abs(erf(x) - want) < 1.2e-7, `erf(${x}) = ${erf(x)}, want ${want}`);
    assert.ok(Number.isNaN(erf(NaN)));
  });

  it('exact GELU is x·Φ(x) (Φ(1) = 0.841344746…) and its gradient matches finite differences', () => {
    const y = geluErf(null, Tensor.from([1, -1, 0, 2], [4]));
    assertClose(y.data, [0.8413447460685429, -0.15865525393145707, 0, 2 * 0.9772498680518208], 1e-6);
    const x = randomTensor(new Rng(3), [2, 5], 2);
    gradCheck([x], (tape) => geluErf(tape, x));
  });

  it('partial RoPE rotates the first rotaryDims of each head like a full RoPE on that slice, and passes the rest through', () => {
    const rng = new Rng(7);
    const [B, T, H, hs, rd] = [2, 5, 3, 8, 4];
    const x = randomTensor(rng, [B, T, H * hs], 1, false);
    const y = rope(null, x, { nHeads: H, theta: 10000, style: 'half', rotaryDims: rd, positionOffset: 2 });
    // The slice alone, as heads of size rd through the full RoPE.
    const slice = new Float32Array(B * T * H * rd);
    for (let r = 0; r < B * T; r++) for (let h = 0; h < H; h++) for (let d = 0; d < rd; d++) slice[(r * H + h) * rd + d] = x.data[r * H * hs + h * hs + d]!;
    const full = rope(null, new Tensor(slice, [B, T, H * rd]), { nHeads: H, theta: 10000, style: 'half', positionOffset: 2 });
    for (let r = 0; r < B * T; r++) {
      for (let h = 0; h < H; h++) {
        for (let d = 0; d < hs; d++) {
          const got = y.data[r * H * hs + h * hs + d]!;
          const want = d < rd ? full.data[(r * H + h) * rd + d]! : x.data[r * H * hs + h * hs + d]!;
          assert.ok(Math.abs(got - want) < 1e-6, `row ${r} head ${h} dim ${d}: ${got} vs ${want}`);
        }
      }
    }
    const xg = randomTensor(rng, [1, 3, 2 * hs]);
    gradCheck([xg], (tape) => rope(tape, xg, { nHeads: 2, theta: 100, style: 'half', rotaryDims: 2 }));
  });
});
