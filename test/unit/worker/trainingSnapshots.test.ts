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
import { Harness, SAMPLE_TEXT, tempDir, writeCheckpoint } from './harness';

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

  it('reach the host: the probe in trainStarted, one trainSnapshot per snapshot, the same arrays in the checkpoint and in modelLoaded', async () => {
    const text = SAMPLE_TEXT.repeat(3);
    const out = path.join(dir, 'sent.safetensors');
    const h = new Harness();
    const id = h.request({
      type: 'train',
      text,
      options: { preset: 'tiny', steps: 6, batchSize: 2, learningRate: null, seed: 5, evalInterval: 10, attention: 'soft', snapshotEvery: 2 },
      checkpointPath: out,
      sourceName: 'sample.txt',
      probe: { start: 12, end: 40 },
    });
    await h.expect(id, 'trainFinished');
    const started = h.of('trainStarted', id)[0]!;
    const probe = started.snapshots!.probe;
    // The probe as the host finds it in the editor: its text, where it starts in the training text, each token's span.
    assert.equal(probe.text, text.slice(12, 40));
    assert.equal(probe.textOffset, 12);
    assert.deepEqual([...probe.starts], [...Array(28).keys()]);
    assert.deepEqual(probe.labels.length, 28);
    assert.deepEqual(started.snapshots!.list, []);
    assert.equal(started.snapshots!.layers, 2);
    const sent = h.of('trainSnapshot', id);
    assert.deepEqual(
      sent.map((m) => [m.snapshot.step, m.every]),
      [
        [2, 2],
        [4, 2],
        [6, 2],
      ],
    );
    const saved = parseCheckpoint(fs.readFileSync(out)).training!.snapshots!;
    sent.forEach((m, i) => {
      assert.deepEqual(m.snapshot.attention, saved.list[i]!.attention);
      assert.deepEqual(m.snapshot.entropy, saved.list[i]!.entropy);
      assert.deepEqual(m.snapshot.scores.induction, saved.list[i]!.scores.induction);
      assert.equal(m.snapshot.attention.length, 2 * 2 * 28 * 28, 'one probe window per snapshot: the message stays bounded');
    });
    const load = h.request({ type: 'load', path: out, tokenizerPath: null });
    const loaded = await h.expect(load, 'modelLoaded');
    assert.equal(loaded.snapshots!.probe.text, probe.text);
    assert.equal(loaded.snapshots!.probe.textOffset, null, 'a checkpoint does not know where its probe was');
    assert.deepEqual(
      loaded.snapshots!.list.map((s) => s.step),
      [2, 4, 6],
    );
    assert.deepEqual(loaded.snapshots!.list[2]!.attention, sent[2]!.snapshot.attention);
  });

  it('a model without snapshots loads with none', async () => {
    const file = path.join(dir, 'bare.safetensors');
    writeCheckpoint(file, 'tiny', SAMPLE_TEXT);
    const h = new Harness();
    const loaded = await h.expect(h.request({ type: 'load', path: file, tokenizerPath: null }), 'modelLoaded');
    assert.equal(loaded.snapshots, null);
  });
});
