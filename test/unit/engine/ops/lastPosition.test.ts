/**
 * lastPosition and the forward option built on it (lastLogitsOnly): the rows are the last
 * of each sequence, the backward matches finite differences, and the logits equal the last
 * rows of a full forward pass.
 */

import assert from 'node:assert/strict';
import { lastPosition } from '../../../../src/engine/ops/lastPosition';
import { Rng } from '../../../../src/engine/random';
import { gradCheck, randomTensor } from '../../../helpers/gradCheck';
import { perturbedModel, randomIds, reducedConfig } from '../../../helpers/analysisModels';

describe('ops/lastPosition', () => {
  it('takes row T−1 of every sequence; backward = finite differences', () => {
    const x = randomTensor(new Rng(4), [3, 5, 2]);
    const y = lastPosition(null, x);
    assert.deepEqual(y.shape, [3, 1, 2]);
    for (let b = 0; b < 3; b++) for (let c = 0; c < 2; c++) assert.equal(y.data[b * 2 + c], x.data[(b * 5 + 4) * 2 + c]);
    gradCheck([x], (tape) => lastPosition(tape, x));
  });

  it('forward with lastLogitsOnly = the last rows of the full logits; refused with targets', () => {
    const model = perturbedModel(reducedConfig('small', 11), 2);
    const ids = randomIds(3, 11, 2 * 7);
    const full = model.forward(null, ids, 2, 7).logits.data;
    const last = model.forward(null, ids, 2, 7, { lastLogitsOnly: true }).logits;
    assert.deepEqual(last.shape, [2, 1, 11]);
    // Equal up to summation order (the matmul blocks a 2-row product differently from a 14-row one).
    for (let b = 0; b < 2; b++) for (let v = 0; v < 11; v++) assert.ok(Math.abs(last.data[b * 11 + v]! - full[(b * 7 + 6) * 11 + v]!) < 1e-5);
    assert.throws(() => model.forward(null, ids, 2, 7, { lastLogitsOnly: true, targets: ids }), /lastLogitsOnly leaves no logits/);
  });
});
