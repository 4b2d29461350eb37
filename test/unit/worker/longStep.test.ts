/**
 * The worker during one long training step (a batch of 200 windows of `tiny`: 4 micro-batches):
 * the editor's requests are answered between the parts, before the step ends, and Stop Training
 * (`cancel`) is honoured inside the step — no step reported, nothing saved, the model that was
 * active stays active. Ordering, not time, is what is checked.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { engineSourceText } from '../../helpers/corpus';
import { Harness, SAMPLE_TEXT, tempDir, writeCheckpoint } from './harness';

describe('worker: a long training step', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = tempDir()));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('answers the editor between micro-batches and stops inside the step when cancelled', async () => {
    const h = new Harness();
    const active = path.join(dir, 'active.safetensors');
    writeCheckpoint(active, 'seed', SAMPLE_TEXT);
    await h.expect(h.request({ type: 'load', path: active, tokenizerPath: null }), 'modelLoaded');
    const out = path.join(dir, 'long.safetensors');
    const run = h.request({
      type: 'train',
      text: engineSourceText(30_000),
      options: { preset: 'tiny', steps: 5, batchSize: 200, learningRate: null, seed: 1, evalInterval: 10, attention: 'soft', snapshotEvery: null },
      checkpointPath: out,
      sourceName: 'engine.ts',
      probe: null,
    });
    await h.waitFor((m) => m.type === 'trainStarted' && m.id === run);
    // The first part of step 1 has run; the step has three more.
    const asked = h.request({ type: 'tokens', windowStride: 0, documentKey: 'doc', version: 1, text: 'the cat', ranges: [{ start: 0, end: 7 }] });
    const answer = await h.expect(asked, 'tokens');
    assert.equal(answer.slices[0]!.ids.length, 7);
    assert.equal(h.of('trainStep', run).length, 0, 'answered while step 1 was still going');
    h.send({ type: 'cancel', id: h.id(), target: run });
    const fin = await h.expect(run, 'trainFinished');
    assert.deepEqual([fin.reason, fin.step, fin.checkpointPath], ['cancelled', 0, null]);
    assert.equal(h.of('trainStep', run).length, 0, 'step 1 never finished');
    assert.match(fin.message!, /no training step completed, so nothing was saved and the previous model stays active/);
    assert.ok(!fs.existsSync(out));
    await h.expect(h.request({ type: 'tokens', windowStride: 0, documentKey: 'doc2', version: 1, text: 'the dog', ranges: [] }), 'tokens');
    const rows = await h.expect(h.request({ type: 'attention', documentKey: 'doc2', version: 1, from: 2, to: 3 }), 'attentionRows');
    assert.equal(rows.layers, 1, 'the seed model loaded before (1 layer; tiny has 2) is still the active one');
  });
});
