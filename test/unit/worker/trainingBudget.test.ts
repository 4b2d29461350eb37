/**
 * The editor's training refuses, before the first step, a configuration whose estimated
 * memory exceeds the machine's budget (a batch size the setting allows but the machine cannot
 * hold would otherwise take the worker down by out-of-memory), and says what it estimated.
 */

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { Harness, SAMPLE_TEXT, tempDir } from './harness';

describe('worker/training: memory budget', function () {
  this.timeout(60_000);

  it('a batch far beyond the budget is a bad-input failure naming the estimate; nothing starts', async () => {
    const h = new Harness();
    const out = path.join(tempDir(), 'never.safetensors');
    const id = h.request({
      type: 'train',
      text: SAMPLE_TEXT.repeat(20),
      options: { preset: 'small', steps: 3, batchSize: 4096, learningRate: null, seed: 5, evalInterval: 2, attention: 'soft', snapshotEvery: null },
      checkpointPath: out,
      sourceName: 'sample.txt',
      probe: null,
    });
    const f = await h.expectFailure(id, 'bad-input');
    assert.match(
      f.message,
      /training small with batch 4096 × window 128 on \d+ tokens needs about [0-9.]+ GB, more than the [0-9.]+ [GM]B this machine allows/,
    );
    assert.equal(h.of('trainStarted', id).length, 0);
  });
});
