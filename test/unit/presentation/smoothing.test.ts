/**
 * The loss panel's numbers: TensorBoard's debiased EMA on ANALYSIS.md's vectors, the rules that
 * keep a diverged step visible, the robust y extent, and the metric columns it reads from.
 */

import assert from 'node:assert/strict';
import { ColumnStore, evalColumns, STEP_KEYS, stepColumns } from '../../../src/presentation/metricColumns';
import { classicSmoothing, nonFiniteIndices, quantileSorted, robustExtent } from '../../../src/presentation/smoothing';
import { assertClose } from '../../helpers/gradCheck';

describe('presentation: loss smoothing (TensorBoard classicSmoothing)', () => {
  it('[1, 2, 3] with w = 0.6 → [1.0, 1.625, 2.3265]; [4, 3, 3.5, 2] with w = 0.9 → [4.0, 3.4737, 3.4834, 3.0521]', () => {
    assertClose(classicSmoothing([1, 2, 3], 0.6), [1, 1.625, 2.3265], 1e-4);
    assertClose(classicSmoothing([4, 3, 3.5, 2], 0.9), [4, 3.4737, 3.4834, 3.0521], 1e-4);
  });

  it('returns a constant series unchanged (TB#786) and clamps w to [0, 1]', () => {
    assert.deepEqual(Array.from(classicSmoothing([0.3, 0.3, 0.3], 0.9)), [0.3, 0.3, 0.3]);
    assert.deepEqual(Array.from(classicSmoothing([1, 2, 3], -5)), [1, 2, 3]);
    assert.deepEqual(Array.from(classicSmoothing([1, 2, 3], 7)), Array.from(classicSmoothing([1, 2, 3], 1)));
    assert.deepEqual(Array.from(classicSmoothing([2, 4], 1)), [0, 0]); // w = 1: last itself (never moves from 0), as TB
  });

  it('passes NaN/Infinity through without advancing the debias count', () => {
    const s = classicSmoothing([1, NaN, 2, Infinity, 3], 0.6);
    assert.ok(Number.isNaN(s[1]));
    assert.equal(s[3], Infinity);
    assertClose([s[0]!, s[2]!, s[4]!], [1, 1.625, 2.3265], 1e-4);
    assert.deepEqual(nonFiniteIndices([1, NaN, 2, -Infinity]), [1, 3]);
  });

  it('smooths the whole series once: the value at a step does not depend on what follows (zoom-independent)', () => {
    const y = Array.from({ length: 10_000 }, (_, i) => 3 * Math.exp(-i / 2000) + Math.sin(i) * 0.1);
    const full = classicSmoothing(y, 0.95);
    const prefix = classicSmoothing(y.slice(0, 5000), 0.95);
    assertClose(full.subarray(0, 5000), prefix, 1e-12);
  });

  it('robust y extent: R-7 quantiles 5 %/95 % of the finite values when n > 2', () => {
    assertClose([quantileSorted([1, 2, 3, 4], 0.5)], [2.5], 1e-12);
    const r = robustExtent([NaN, ...Array.from({ length: 101 }, (_, i) => i), Infinity])!;
    assertClose(r, [5, 95], 1e-12);
    assert.deepEqual(robustExtent([3, 1]), [1, 3]);
    assert.equal(robustExtent([NaN]), null);
  });

  it('metric columns grow in place, fill missing keys with NaN, and refuse ragged appends', () => {
    const s = new ColumnStore(STEP_KEYS, 2);
    for (let i = 0; i < 5; i++) s.push({ step: i + 1, loss: 5 - i, lr: 1e-3, gradNorm: 1, tokensPerSecond: 100, elapsedMs: i * 10 });
    s.append({ step: [6, 7], loss: [NaN, Infinity] });
    assert.equal(s.length, 7);
    assert.deepEqual(Array.from(s.column('step')), [1, 2, 3, 4, 5, 6, 7]);
    assert.ok(Number.isNaN(s.column('lr')[6]));
    assert.equal(s.column('loss')[6], Infinity);
    assert.throws(() => s.append({ step: [1], loss: [1, 2] }), /column loss has 2 values/);
    const snap = s.snapshot();
    assert.equal(snap.step.buffer.byteLength, 7 * 8, 'a snapshot owns a right-sized buffer (a view would post the whole capacity)');
    assert.deepEqual(Array.from(stepColumns([{ step: 3, loss: 1, lr: 2, gradNorm: 3, tokensPerSecond: 4, elapsedMs: 5 }]).gradNorm), [3]);
    assert.deepEqual(Array.from(evalColumns([]).valLoss), []);
  });
});
