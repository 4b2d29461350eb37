/**
 * The editor's training refuses, before the first step, a configuration whose estimated
 * memory exceeds the machine's budget (one the machine cannot hold would otherwise take the
 * worker down by out-of-memory), and says what it estimated. A large batch alone no longer
 * does: a step is cut into micro-batches; a character vocabulary of 60,000 symbols does (its
 * logits are [rows, 60,001] floats several times over).
 */

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { Harness, tempDir } from './harness';

describe('worker/training: memory budget', function () {
  this.timeout(60_000);

  it('a configuration far beyond the budget is a bad-input failure naming the estimate; nothing starts', async () => {
    const h = new Harness();
    const out = path.join(tempDir(), 'never.safetensors');
    const symbols = Array.from({ length: 60_000 }, (_, i) => String.fromCodePoint(0x20000 + i)).join('');
    const id = h.request({
      type: 'train',
      text: symbols + symbols,
      options: { preset: 'small', steps: 3, batchSize: null, learningRate: null, seed: 5, evalInterval: 2, attention: 'soft', snapshotEvery: null },
      checkpointPath: out,
      sourceName: 'sample.txt',
      probe: null,
    });
    const f = await h.expectFailure(id, 'bad-input');
    assert.match(
      f.message,
      /training small with batch 16 × window 128 on 120000 tokens needs about [0-9.]+ GB, more than the [0-9.]+ [GM]B this machine allows/,
    );
    assert.equal(h.of('trainStarted', id).length, 0);
  });
});
