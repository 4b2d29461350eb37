/**
 * The worker records head snapshots while training (attentionLens.training.snapshotEvery) on the
 * probe window the host sends (the text around the cursor, or the selection's start) and saves
 * them in the checkpoint; a continued run goes on with the same probe.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCheckpoint } from '../../../src/engine/checkpoint/native';
import { CharTokenizer } from '../../../src/engine/tokenizer/charTokenizer';
import { Harness, SAMPLE_TEXT, tempDir } from './harness';

describe('worker: training snapshots', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = tempDir()));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('every N steps on the probe window, saved with the checkpoint, continued by Continue Training', async () => {
    const text = SAMPLE_TEXT.repeat(3);
    const out = path.join(dir, 'snap.safetensors');
    let runId = -1;
    const h = new Harness({
      afterTrainStep: (_m, step) => {
        if (step === 2) h.send({ type: 'cancel', id: h.id(), target: runId });
      },
    });
    runId = h.request({
      type: 'train',
      text,
      options: { preset: 'tiny', steps: 4, batchSize: 2, learningRate: null, seed: 3, evalInterval: 10, attention: 'soft', snapshotEvery: 1 },
      checkpointPath: out,
      sourceName: 'sample.txt',
      probe: { start: 8, end: 30 },
    });
    await h.expect(runId, 'trainFinished');
    const first = parseCheckpoint(fs.readFileSync(out)).training!.snapshots!;
    const tok = CharTokenizer.fromText(text);
    assert.deepEqual([...first.probe], [...tok.encode(text.slice(8, 30)).ids]);
    assert.deepEqual(
      first.list.map((s) => s.step),
      [1, 2],
    );
    const c = h.request({ type: 'continueTraining', text, checkpointPath: out, sourceName: 'sample.txt' });
    await h.expect(c, 'trainFinished');
    const all = parseCheckpoint(fs.readFileSync(out)).training!.snapshots!;
    assert.deepEqual(
      all.list.map((s) => s.step),
      [1, 2, 3, 4],
    );
    assert.deepEqual([...all.probe], [...first.probe]);
  });
});
