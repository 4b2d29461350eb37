import assert from 'node:assert/strict';
import { bucketize, BUCKETS, formatWeight, selectWeights, topK } from '../../../src/presentation/attentionView';

describe('presentation/attentionView', () => {
  // [L=2, H=2, W=3]
  const block = Float32Array.from([1, 0, 0, /* l0 h0 */ 0.5, 0.5, 0 /* l0 h1 */, 0.2, 0.3, 0.5, /* l1 h0 */ 0.6, 0.1, 0.3 /* l1 h1 */]);

  it('selects one head, or the mean / max over the heads of a layer', () => {
    assert.deepEqual([...selectWeights(block, 2, 2, 3, { layer: 1, head: 1, aggregation: 'head' })], [...Float32Array.of(0.6, 0.1, 0.3)]);
    assert.deepEqual([...selectWeights(block, 2, 2, 3, { layer: 0, head: 0, aggregation: 'mean' })], [0.75, 0.25, 0]);
    assert.deepEqual([...selectWeights(block, 2, 2, 3, { layer: 1, head: 0, aggregation: 'max' })], [...Float32Array.of(0.6, 0.3, 0.5)]);
    // out-of-range selections are clamped, not crashes
    assert.deepEqual([...selectWeights(block, 2, 2, 3, { layer: 9, head: -3, aggregation: 'head' })], [...Float32Array.of(0.2, 0.3, 0.5)]);
  });

  it('buckets weights relative to the row maximum, hiding those under the threshold', () => {
    const b = bucketize([0.5, 0.25, 0.01, 0, 0.125], { threshold: 0.1, normalization: 'rowMax', exclude: -1 });
    // 0.5 → 1.0 → top bucket; 0.25 → 0.5 → bucket 3 of 0..7; 0.125 → 0.25 → bucket 1; 0.01 → 0.02 < 0.1 hidden
    assert.deepEqual([...b], [BUCKETS - 1, 3, -1, -1, 1]);
  });

  it('absolute normalisation colours by the weight itself; an excluded sink neither shows nor scales', () => {
    assert.deepEqual([...bucketize([0.9, 0.05, 0.05], { threshold: 0, normalization: 'absolute', exclude: -1 })], [7, 0, 0]);
    assert.deepEqual([...bucketize([0.9, 0.05, 0.05], { threshold: 0, normalization: 'rowMax', exclude: 0 })], [-1, 7, 7]);
  });

  it('top-k: largest first, ties by position, excluded and zero weights left out', () => {
    assert.deepEqual(topK([0.1, 0.4, 0.4, 0, 0.1], 3), [
      { index: 1, weight: 0.4 },
      { index: 2, weight: 0.4 },
      { index: 0, weight: 0.1 },
    ]);
    assert.deepEqual(
      topK([0.1, 0.4, 0.4], 5, 1).map((r) => r.index),
      [2, 0],
    );
    assert.deepEqual(topK([], 3), []);
  });

  it('formats weights as percentages', () => {
    assert.equal(formatWeight(0.4567), '45.7 %');
    assert.equal(formatWeight(0.012345), '1.23 %');
    assert.equal(formatWeight(0.00001), '1.0e-3 %');
  });
});
