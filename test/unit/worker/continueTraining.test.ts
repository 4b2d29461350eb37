/**
 * Continue Training in the worker: a run stopped at step k (Stop Training, i.e. `cancel`) and
 * continued with `continueTraining` gives the same losses and the same bits as the run done
 * straight; the editor keeps using the active model while the copy trains; and the refusals
 * (no training state, a complete run, another text, no model) are bad-input messages.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCheckpoint } from '../../../src/engine/checkpoint/native';
import { Harness, SAMPLE_TEXT, tempDir, writeCheckpoint } from './harness';

const TEXT = SAMPLE_TEXT.repeat(3);

function train(checkpointPath: string, steps: number): Record<string, unknown> {
  return {
    type: 'train',
    text: TEXT,
    options: { preset: 'tiny', steps, batchSize: 2, learningRate: null, seed: 9, evalInterval: 2, attention: 'soft', snapshotEvery: null },
    checkpointPath,
    sourceName: 'sample.txt',
    probe: null,
  };
}

function weights(file: string): Float32Array[] {
  const c = parseCheckpoint(fs.readFileSync(file));
  return [...c.model.params.values()].map((t) => t.data).concat(c.training!.state.optimizer.m, c.training!.state.optimizer.v);
}

describe('worker/continueTraining', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = tempDir()));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('stopped at step 3, then continued to 6: the losses and every bit of the weights of the straight run', async () => {
    const straight = new Harness();
    const fullPath = path.join(dir, 'full.safetensors');
    const a = straight.request(train(fullPath, 6));
    await straight.expect(a, 'trainFinished');
    const fullLosses = straight.of('trainStep', a).map((s) => s.loss);

    let runId = -1;
    const h = new Harness({
      afterTrainStep: (_m, step) => {
        if (step === 3) h.send({ type: 'cancel', id: h.id(), target: runId });
      },
    });
    const stoppedPath = path.join(dir, 'stopped.safetensors');
    runId = h.request(train(stoppedPath, 6));
    const stopped = await h.expect(runId, 'trainFinished');
    assert.deepEqual([stopped.reason, stopped.step, stopped.info.trainedSteps, stopped.info.runSteps], ['cancelled', 3, 3, 6]);
    assert.equal(parseCheckpoint(fs.readFileSync(stoppedPath)).training!.state.step, 3, 'the stopped state is saved resumable');

    const continuedPath = path.join(dir, 'continued.safetensors');
    const c = h.request({ type: 'continueTraining', text: TEXT, checkpointPath: continuedPath, sourceName: 'sample.txt' });
    const fin = await h.expect(c, 'trainFinished');
    const begun = h.of('trainStarted', c)[0]!;
    assert.equal(begun.totalSteps, 6);
    assert.equal(begun.info.trainedSteps, 3);
    assert.deepEqual(
      begun.resumed?.steps.map((s) => s.step),
      [1, 2, 3],
    );
    assert.deepEqual([fin.reason, fin.step, fin.checkpointPath], ['completed', 6, continuedPath]);
    const tail = h.of('trainStep', c);
    assert.deepEqual(
      tail.map((s) => s.step),
      [4, 5, 6],
    );
    assert.deepEqual(
      [...h.of('trainStep', runId), ...tail].map((s) => s.loss),
      fullLosses,
    );
    const want = weights(fullPath);
    const got = weights(continuedPath);
    assert.equal(got.length, want.length);
    want.forEach((w, i) =>
      assert.ok(Buffer.from(w.buffer, w.byteOffset, w.byteLength).equals(Buffer.from(got[i]!.buffer, got[i]!.byteOffset, got[i]!.byteLength)), `tensor ${i}`),
    );

    // Complete now: a second continue is refused, and says why.
    const again = await h.expectFailure(h.request({ type: 'continueTraining', text: TEXT, checkpointPath: continuedPath, sourceName: 's' }), 'bad-input');
    assert.match(again.message, /is complete: it trained all 6 steps of its run/);
  });

  it('refuses another text, a model without training state, and no model at all', async () => {
    const h = new Harness();
    await h.expectFailure(h.request({ type: 'continueTraining', text: TEXT, checkpointPath: path.join(dir, 'x.safetensors'), sourceName: 's' }), 'no-model');
    let runId = -1;
    const stopper = new Harness({
      afterTrainStep: (_m, step) => {
        if (step === 1) stopper.send({ type: 'cancel', id: stopper.id(), target: runId });
      },
    });
    runId = stopper.request(train(path.join(dir, 'one.safetensors'), 4));
    await stopper.expect(runId, 'trainFinished');
    const other = await stopper.expectFailure(
      stopper.request({ type: 'continueTraining', text: TEXT.replace('cat', 'cot'), checkpointPath: path.join(dir, 'y.safetensors'), sourceName: 's' }),
      'bad-input',
    );
    assert.match(other.message, /the text differs from the one the active model \(sample\.txt\) was trained on/);

    const bare = path.join(dir, 'bare.safetensors');
    writeCheckpoint(bare, 'tiny', TEXT);
    await h.expect(h.request({ type: 'load', path: bare, tokenizerPath: null }), 'modelLoaded');
    const none = await h.expectFailure(h.request({ type: 'continueTraining', text: TEXT, checkpointPath: bare, sourceName: 's' }), 'bad-input');
    assert.match(none.message, /the active model \(.*bare\.safetensors\) holds no training state/);
  });
});
