/**
 * The worker trains with the attention the request asks for (the editor's
 * attentionLens.training.attention setting): with 'hard', the trained model is reported as hard
 * and the attention rows the editor receives are one-hot; an unknown mode is a bad request.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Harness, SAMPLE_TEXT, tempDir } from './harness';

describe('worker: training attention mode', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = tempDir()));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const train = (attention: unknown): Record<string, unknown> => ({
    type: 'train',
    text: SAMPLE_TEXT.repeat(2),
    options: { preset: 'tiny', steps: 3, batchSize: 2, learningRate: null, seed: 2, evalInterval: 10, attention, snapshotEvery: null },
    checkpointPath: path.join(dir, `${String(attention)}.safetensors`),
    sourceName: 'sample.txt',
    probe: null,
  });

  it('hard: the model says so and every head attends to exactly one key', async () => {
    const h = new Harness();
    const fin = await h.expect(h.request(train('hard')), 'trainFinished');
    assert.equal(fin.info.attentionMode, 'hard');
    const text = 'the cat sat on the mat';
    await h.expect(h.request({ type: 'tokens', windowStride: 0, documentKey: 'doc', version: 1, text, ranges: [] }), 'tokens');
    const r = await h.expect(h.request({ type: 'attention', documentKey: 'doc', version: 1, from: 10, to: 11 }), 'attentionRows');
    const W = r.windowLength;
    for (let lh = 0; lh < r.layers * r.heads; lh++) {
      const row = [...r.rows.subarray(lh * W, (lh + 1) * W)];
      assert.equal(row.filter((x) => x === 1).length, 1, `head ${lh}: ${row}`);
      assert.equal(row.filter((x) => x === 0).length, W - 1, `head ${lh}: ${row}`);
    }
  });

  it('soft rows are spread; an unknown mode is refused as a bad request', async () => {
    const h = new Harness();
    const fin = await h.expect(h.request(train('soft')), 'trainFinished');
    assert.equal(fin.info.attentionMode, 'soft');
    const bad = await h.expectFailure(h.request(train('medium')), 'bad-request');
    assert.match(bad.message, /attention must be "soft" or "hard", got "medium"/);
  });
});
