/**
 * The session's model requests and protocol hygiene with the real engine: handshake,
 * malformed messages, load/save (native and llama2.c), training with progress, checkpoint,
 * busy refusal, cancellation (queued, loading, training), divergence, and dispose.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { backendStatus, threadStatus } from '../../../src/engine/kernels/activeBackend';
import { parseSafetensors } from '../../../src/engine/checkpoint/safetensors';
import { loadModel } from '../../../src/node/loadModel';
import { WORKER_PROTOCOL_VERSION } from '../../../src/protocol/workerProtocol';
import type { WorkerToHost } from '../../../src/protocol/workerProtocol';
import { requireFixture } from '../../helpers/fixtures';
import { Harness, SAMPLE_TEXT, tempDir, writeCheckpoint, type Msg } from './harness';

const DOC = 'file:///doc.txt';

/** A few fast steps: short text, batch 1. */
function trainRequest(checkpointPath: string, options: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'train',
    text: SAMPLE_TEXT.repeat(2),
    options: { preset: 'tiny', steps: 3, batchSize: 1, learningRate: null, seed: 5, evalInterval: 2, attention: 'soft', snapshotEvery: null, ...options },
    checkpointPath,
    sourceName: 'sample.txt',
    probe: null,
  };
}

describe('worker/session', function () {
  this.timeout(60_000);
  let dir: string;
  let ckpt: string;

  before(() => {
    dir = tempDir();
    ckpt = path.join(dir, 'seed.safetensors');
    writeCheckpoint(ckpt, 'seed', SAMPLE_TEXT);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('posts the handshake first', () => {
    const h = new Harness();
    h.session.start();
    assert.deepEqual(h.messages, [
      {
        type: 'ready',
        protocolVersion: WORKER_PROTOCOL_VERSION,
        backend: backendStatus().name,
        backendFallbackReason: backendStatus().fallbackReason,
        threads: threadStatus().threads,
        threadsFallbackReason: threadStatus().fallbackReason,
      },
    ]);
  });

  it('answers malformed messages with bad-request (with the id when readable) and keeps working', async () => {
    const h = new Harness();
    const garbage: unknown[] = [
      null,
      42,
      'train',
      [1, 2],
      {},
      { type: 'train' },
      { type: 'nope', id: 101 },
      { type: 'attention', id: 102, documentKey: DOC, version: 1, from: 3, to: 3 },
      { type: 'tokens', id: 103, windowStride: 0, documentKey: DOC, version: 1.5, text: '', ranges: [] },
      { type: 'tokens', id: 104, windowStride: 0, documentKey: DOC, version: 1, text: 'x', ranges: [{ start: 2, end: 1 }] },
      { type: 'load', id: 105, path: '', tokenizerPath: null },
      { type: 'train', id: 106, text: 'abc', options: null, checkpointPath: 'x', sourceName: 's' },
      { type: 'cancel', id: 107 },
      { type: 'save', id: Number.NaN, path: 'x' },
    ];
    for (const g of garbage) h.send(g);
    const failures = h.of('failed');
    assert.equal(failures.length, garbage.length);
    assert.ok(failures.every((f) => f.code === 'bad-request' && f.message.length > 0));
    assert.deepEqual(
      failures.map((f) => f.id),
      [null, null, null, null, null, null, 101, 102, 103, 104, 105, 106, 107, null],
    );
    assert.match(failures[6]!.message, /unknown message type "nope"/);
    // Still alive.
    await h.expect(h.request({ type: 'load', path: ckpt, tokenizerPath: null }), 'modelLoaded');
  });

  it('requires a model for tokens, attention and save', async () => {
    const h = new Harness();
    await h.expectFailure(h.request({ type: 'tokens', windowStride: 0, documentKey: DOC, version: 1, text: 'hello', ranges: [] }), 'no-model');
    await h.expectFailure(h.request({ type: 'attention', documentKey: DOC, version: 1, from: 0, to: 1 }), 'no-model');
    await h.expectFailure(h.request({ type: 'save', path: path.join(dir, 'none.safetensors') }), 'no-model');
  });

  it('reports its memory: heap, kernel memory, and what the attention cache and documents hold', async () => {
    const h = new Harness();
    const empty = await h.expect(h.request({ type: 'memory', collectGarbage: true }), 'memory');
    assert.deepEqual([empty.attentionCacheBytes, empty.attentionWindows, empty.documents], [0, 0, 0]);
    assert.ok(empty.heapUsed > 0);
    await h.expect(h.request({ type: 'load', path: ckpt, tokenizerPath: null }), 'modelLoaded');
    await h.expect(h.request({ type: 'tokens', windowStride: 0, documentKey: DOC, version: 1, text: SAMPLE_TEXT, ranges: [] }), 'tokens');
    const rows = await h.expect(h.request({ type: 'attention', documentKey: DOC, version: 1, from: 3, to: 4 }), 'attentionRows');
    const used = await h.expect(h.request({ type: 'memory', collectGarbage: false }), 'memory');
    assert.deepEqual([used.attentionWindows, used.documents], [1, 1]);
    // The cached window holds at least its weights, [L, H, W, W] floats.
    assert.ok(used.attentionCacheBytes >= rows.layers * rows.heads * rows.windowLength ** 2 * 4, `${used.attentionCacheBytes} bytes cached`);
    if (backendStatus().name !== 'js') assert.ok(used.kernelBytes > 0, 'the WebAssembly kernels ran, so their memory is counted');
    await h.expectFailure(h.request({ type: 'memory', collectGarbage: 'yes' }), 'bad-request');
  });

  it('loads a native checkpoint, saves it (creating folders) and the saved file loads', async () => {
    const h = new Harness();
    const m = await h.expect(h.request({ type: 'load', path: ckpt, tokenizerPath: null }), 'modelLoaded');
    assert.deepEqual(
      { ...m.info, parameters: m.info.parameters > 0, weightsBytes: m.info.weightsBytes === m.info.parameters * 4 },
      {
        architecture: 'seed',
        layers: 1,
        heads: 4,
        kvHeads: 4,
        dModel: 128,
        context: 64,
        vocabSize: new Set(SAMPLE_TEXT).size + 1,
        parameters: true,
        weightsDtype: 'f32',
        weightsBytes: true,
        tokenizer: `char (${new Set(SAMPLE_TEXT).size + 1} tokens)`,
        readsText: true,
        source: ckpt,
        attentionMode: 'soft',
        causal: true,
        trainedSteps: null,
        runSteps: null,
      },
    );
    const out = path.join(dir, 'nested', 'deeper', 'copy.safetensors');
    const saved = await h.expect(h.request({ type: 'save', path: out }), 'saved');
    assert.equal(saved.path, out);
    const [a, b] = await Promise.all([loadModel(ckpt), loadModel(out)]);
    assert.deepEqual(Array.from(b.model.params.get('tok_emb')!.data), Array.from(a.model.params.get('tok_emb')!.data));
    assert.equal(b.training, null);
  });

  it('a failed load leaves the previous model active', async () => {
    const h = new Harness();
    await h.expect(h.request({ type: 'load', path: ckpt, tokenizerPath: null }), 'modelLoaded');
    const bogus = path.join(dir, 'bogus.safetensors');
    fs.writeFileSync(bogus, 'this is not a checkpoint');
    const f1 = await h.expectFailure(h.request({ type: 'load', path: bogus, tokenizerPath: null }), 'checkpoint');
    assert.ok(f1.detail, 'the stack goes to the log');
    await h.expectFailure(h.request({ type: 'load', path: path.join(dir, 'missing.safetensors'), tokenizerPath: null }), 'checkpoint');
    await h.expectFailure(h.request({ type: 'load', path: path.join(dir, 'x.bin'), tokenizerPath: null }), 'checkpoint');
    await h.expectFailure(h.request({ type: 'load', path: dir, tokenizerPath: null }), 'checkpoint');
    const t = await h.expect(h.request({ type: 'tokens', windowStride: 0, documentKey: DOC, version: 1, text: 'the cat', ranges: [] }), 'tokens');
    assert.equal(t.windowSize, 64);
    await h.expect(h.request({ type: 'attention', documentKey: DOC, version: 1, from: 0, to: 2 }), 'attentionRows');
  });

  it('cancels a queued request, and a load whose file is still being read', async () => {
    const h = new Harness();
    const load = h.request({ type: 'load', path: ckpt, tokenizerPath: null });
    const tokens = h.request({ type: 'tokens', windowStride: 0, documentKey: DOC, version: 1, text: 'the cat', ranges: [] });
    h.send({ type: 'cancel', id: h.id(), target: tokens });
    assert.equal((await h.expectFailure(tokens, 'cancelled')).id, tokens);
    await h.expect(load, 'modelLoaded');

    const other = path.join(dir, 'other.safetensors');
    writeCheckpoint(other, 'tiny', 'xyz');
    const second = h.request({ type: 'load', path: other, tokenizerPath: null });
    await new Promise((r) => setImmediate(r)); // the load is now reading its file
    h.send({ type: 'cancel', id: h.id(), target: second });
    await h.expectFailure(second, 'cancelled');
    const t = await h.expect(h.request({ type: 'tokens', windowStride: 0, documentKey: DOC, version: 1, text: 'the cat', ranges: [] }), 'tokens');
    assert.equal(t.windowSize, 64);
    const info = (await h.expect(h.request({ type: 'save', path: path.join(dir, 'still-seed.safetensors') }), 'saved')).path;
    assert.equal((await loadModel(info)).model.config.architecture, 'seed');
    // Cancelling something unknown or finished is ignored.
    h.send({ type: 'cancel', id: h.id(), target: 12345 });
    await h.session.idle();
    assert.equal(h.of('failed').length, 2);
  });

  it("a document's new text drops the queued requests about its older versions (stale), and answers the new version next", async () => {
    const h = new Harness();
    await h.expect(h.request({ type: 'load', path: ckpt, tokenizerPath: null }), 'modelLoaded');
    await h.expect(h.request({ type: 'tokens', windowStride: 0, documentKey: DOC, version: 1, text: 'the cat', ranges: [] }), 'tokens');
    // A burst of typing: each version's text and questions queued before the worker got to any.
    const old: number[] = [];
    for (let v = 2; v <= 6; v++) {
      old.push(h.request({ type: 'tokens', windowStride: 0, documentKey: DOC, version: v, text: `the cat${'s'.repeat(v)}`, ranges: [] }));
      old.push(h.request({ type: 'attention', documentKey: DOC, version: v, from: 0, to: 1 }));
      old.push(h.request({ type: 'view', view: 'matrix', documentKey: DOC, version: v, token: 0, layer: 0, head: 0 }));
    }
    const other = h.request({ type: 'tokens', windowStride: 0, documentKey: 'file:///other.txt', version: 1, text: 'a cat', ranges: [] });
    const latest = h.request({ type: 'tokens', windowStride: 0, documentKey: DOC, version: 7, text: 'the cat sat', ranges: [] });
    const rows = h.request({ type: 'attention', documentKey: DOC, version: 7, from: 0, to: 1 });
    for (const id of old) await h.expectFailure(id, 'stale');
    await h.expect(other, 'tokens');
    assert.equal((await h.expect(latest, 'tokens')).version, 7);
    assert.equal((await h.expect(rows, 'attentionRows')).version, 7);
    // Nothing about the old versions was answered after the new text arrived.
    assert.deepEqual(
      h.messages.filter((m) => 'id' in m && m.id !== null && old.includes(m.id) && m.type !== 'failed'),
      [],
    );
  });

  it('trains: progress, evaluation, checkpoint (loadable, with its training state), then the model is active', async () => {
    const h = new Harness();
    const out = path.join(dir, 'runs', 'one', 'model.safetensors');
    const id = h.request(trainRequest(out));
    const fin = await h.expect(id, 'trainFinished');
    const started = h.of('trainStarted', id)[0]!;
    assert.equal(started.totalSteps, 3);
    assert.equal(started.info.source, 'sample.txt');
    assert.equal(started.info.trainedSteps, 0);
    assert.equal(started.info.layers, 2);
    assert.ok(started.trainTokens > 0 && started.validationTokens > 0);
    assert.ok(h.messages.indexOf(started) < h.messages.findIndex((m) => m.type === 'trainStep'));
    const steps = h.of('trainStep', id);
    assert.deepEqual(
      steps.map((s) => s.step),
      [1, 2, 3],
    );
    assert.ok(steps.every((s) => Number.isFinite(s.loss) && s.loss > 0 && s.lr > 0 && s.tokensPerSecond > 0 && Number.isFinite(s.gradNorm)));
    assert.deepEqual(
      h.of('trainEval', id).map((e) => e.step),
      [2, 3],
    );
    assert.deepEqual([fin.reason, fin.step, fin.message, fin.checkpointPath], ['completed', 3, null, out]);
    assert.equal(fin.info.trainedSteps, 3);

    const loaded = await loadModel(out);
    assert.equal(loaded.training?.state.step, 3);
    assert.equal(loaded.training?.options.steps, 3);
    assert.equal(loaded.tokenizer.vocabSize, fin.info.vocabSize);

    // Active now: the document requests use it, and save includes the training state.
    const t = await h.expect(
      h.request({ type: 'tokens', windowStride: 0, documentKey: DOC, version: 1, text: 'the dog', ranges: [{ start: 0, end: 7 }] }),
      'tokens',
    );
    assert.equal(t.slices[0]!.ids.length, 7);
    await h.expect(h.request({ type: 'attention', documentKey: DOC, version: 1, from: 2, to: 4 }), 'attentionRows');
    const copy = path.join(dir, 'copy-of-trained.safetensors');
    await h.expect(h.request({ type: 'save', path: copy }), 'saved');
    assert.equal((await loadModel(copy)).training?.state.step, 3);
    const reloaded = await h.expect(h.request({ type: 'load', path: out, tokenizerPath: null }), 'modelLoaded');
    assert.equal(reloaded.info.trainedSteps, 3);
    // The loaded model brings the curves it was trained with: what the run reported, step for step.
    assert.equal(reloaded.history?.totalSteps, 3);
    assert.deepEqual(
      reloaded.history?.steps.map((p) => [p.step, p.loss, p.lr]),
      steps.map((p) => [p.step, p.loss, p.lr]),
    );
    assert.deepEqual(
      reloaded.history?.evals.map((e) => [e.step, e.valLoss]),
      h.of('trainEval', id).map((e) => [e.step, e.valLoss]),
    );
  });

  it('refuses bad training input with bad-input before anything starts', async () => {
    const h = new Harness();
    const out = path.join(dir, 'never.safetensors');
    await h.expectFailure(h.request({ ...trainRequest(out), text: '' }), 'bad-input');
    await h.expectFailure(h.request({ ...trainRequest(out), text: 'ab' }), 'bad-input');
    await h.expectFailure(h.request(trainRequest(out, { preset: 'huge' })), 'bad-input');
    await h.expectFailure(h.request(trainRequest(out, { steps: 0 })), 'bad-input');
    await h.expectFailure(h.request(trainRequest(out, { learningRate: Number.NaN })), 'bad-input');
    await h.expectFailure(h.request(trainRequest(out, { batchSize: 2.5 })), 'bad-input');
    assert.equal(h.of('trainStarted').length, 0);
    assert.ok(!fs.existsSync(out));
  });

  it('refuses a second training with busy, answers document requests between steps, and cancels within a step', async () => {
    const h = new Harness();
    await h.expect(h.request({ type: 'load', path: ckpt, tokenizerPath: null }), 'modelLoaded');
    const out = path.join(dir, 'cancelled.safetensors');
    const id = h.request(trainRequest(out, { steps: 10_000 }));
    await h.waitFor((m) => m.type === 'trainStep' && m.id === id);
    await h.expectFailure(h.request(trainRequest(path.join(dir, 'second.safetensors'))), 'busy');

    // The previous model answers while the new one trains.
    const tokens = h.request({ type: 'tokens', windowStride: 0, documentKey: DOC, version: 1, text: 'the cat sat', ranges: [{ start: 0, end: 3 }] });
    const attention = h.request({ type: 'attention', documentKey: DOC, version: 1, from: 1, to: 2 });
    const t = await h.expect(tokens, 'tokens');
    const a = await h.expect(attention, 'attentionRows');
    assert.equal(t.windowSize, 64);
    assert.equal(a.layers, 1, 'the seed model (1 layer), not the tiny one being trained');
    const stepsBefore = h.of('trainStep', id).length;
    assert.ok(stepsBefore < 10_000 && !h.of('trainFinished', id).length);

    const stepAtCancel = h.of('trainStep', id).at(-1)!.step;
    h.send({ type: 'cancel', id: h.id(), target: id });
    const fin = await h.expect(id, 'trainFinished');
    assert.equal(fin.reason, 'cancelled');
    assert.ok(fin.step >= stepAtCancel && fin.step <= stepAtCancel + 1, `stopped at ${fin.step}, cancel sent after step ${stepAtCancel}`);
    assert.equal(fin.checkpointPath, out);
    assert.equal((await loadModel(out)).training?.state.step, fin.step);
    const after = await h.expect(h.request({ type: 'attention', documentKey: DOC, version: 1, from: 1, to: 2 }), 'attentionRows');
    assert.equal(after.layers, 2, 'the trained model is active now');
  });

  it('answers every request that arrived during a training step before it takes the next step', async () => {
    const h = new Harness();
    await h.expect(h.request({ type: 'load', path: ckpt, tokenizerPath: null }), 'modelLoaded');
    await h.expect(h.request({ type: 'tokens', windowStride: 0, documentKey: DOC, version: 1, text: SAMPLE_TEXT, ranges: [] }), 'tokens');
    const id = h.request(trainRequest(path.join(dir, 'interleaved.safetensors'), { steps: 10_000 }));
    await h.waitFor((m) => m.type === 'trainStep' && m.id === id);
    // Six cursor moves' worth of requests at once, as a slow step would leave them queued.
    const asked = [1, 2, 3, 4, 5, 6].map((t) => h.request({ type: 'attention', documentKey: DOC, version: 1, from: t, to: t + 1 }));
    await Promise.all(asked.map((q) => h.expect(q, 'attentionRows')));
    const at = asked.map((q) => h.messages.findIndex((m) => 'id' in m && m.id === q));
    const between = h.messages.slice(Math.min(...at), Math.max(...at)).filter((m) => m.type === 'trainStep');
    assert.equal(between.length, 0, `training steps were taken between the answers: ${between.map((m) => (m as Msg<'trainStep'>).step)}`);
    await h.waitFor((m) => m.type === 'trainStep' && m.id === id && h.messages.indexOf(m) > Math.max(...at));
    h.send({ type: 'cancel', id: h.id(), target: id });
    await h.expect(id, 'trainFinished');
  });

  it('a training cancelled before it starts is refused; one cancelled before its first step saves nothing', async () => {
    const h = new Harness();
    await h.expect(h.request({ type: 'load', path: ckpt, tokenizerPath: null }), 'modelLoaded');
    const out = path.join(dir, 'zero', 'model.safetensors');
    const queued = h.request(trainRequest(out));
    h.send({ type: 'cancel', id: h.id(), target: queued });
    await h.expectFailure(queued, 'cancelled');

    // Cancelled while its checkpoint folder is being created: it started, but took no step.
    const started = h.request(trainRequest(out));
    await new Promise((r) => setImmediate(r));
    h.send({ type: 'cancel', id: h.id(), target: started });
    const fin = await h.expect(started, 'trainFinished');
    assert.equal(h.of('trainStarted', started).length, 1);
    assert.deepEqual([fin.reason, fin.step, fin.checkpointPath, h.of('trainStep', started).length], ['cancelled', 0, null, 0]);
    assert.match(fin.message!, /nothing was saved/);
    assert.ok(!fs.existsSync(out));
    const a = await h.expect(h.request({ type: 'tokens', windowStride: 0, documentKey: DOC, version: 1, text: 'x', ranges: [] }), 'tokens');
    assert.equal(a.windowSize, 64, 'the seed model is still active');
  });

  it('reports divergence and saves the state of the last completed step', async () => {
    // No request can make the engine diverge quickly, so the test seam poisons one weight.
    const h = new Harness({
      afterTrainStep: (model, step) => {
        if (step === 2) model.params.get('lm_head.weight')!.data[0] = Number.NaN;
      },
    });
    const out = path.join(dir, 'diverged.safetensors');
    const id = h.request(trainRequest(out, { steps: 10 }));
    const fin = await h.expect(id, 'trainFinished');
    assert.equal(fin.reason, 'diverged');
    assert.equal(fin.step, 2);
    assert.match(fin.message!, /step 3/);
    assert.ok(Number.isNaN(h.of('trainStep', id).at(-1)!.loss));
    assert.equal(fin.checkpointPath, out);
    // The poisoned weight was saved with the state; loading it back is refused, naming it.
    await assert.rejects(loadModel(out), /parameter "lm_head\.weight" holds 1 non-finite value/);
    const training = JSON.parse(parseSafetensors(fs.readFileSync(out)).metadata.training!) as { step: number };
    assert.equal(training.step, 2);
  });

  it('reports a checkpoint that cannot be written, and still activates the trained model', async () => {
    const h = new Harness();
    const blocker = path.join(dir, 'a-file');
    fs.writeFileSync(blocker, 'x');
    await h.expectFailure(h.request(trainRequest(path.join(blocker, 'model.safetensors'))), 'checkpoint');
    const isDir = path.join(dir, 'is-a-dir.safetensors');
    fs.mkdirSync(isDir, { recursive: true });
    const fin = await h.expect(h.request(trainRequest(isDir)), 'trainFinished');
    assert.equal(fin.checkpointPath, null);
    assert.match(fin.message!, /not saved/);
    await h.expect(h.request({ type: 'tokens', windowStride: 0, documentKey: DOC, version: 1, text: 'cat', ranges: [] }), 'tokens');
  });

  it('loads the llama2.c stories260K model; attention matches a direct engine forward; it cannot be re-saved natively', async function () {
    const bin = requireFixture(this, 'stories260K', 'stories260K.bin');
    const tok = requireFixture(this, 'stories260K', 'tok512.bin');
    const h = new Harness();
    await h.expectFailure(h.request({ type: 'load', path: bin, tokenizerPath: null }), 'checkpoint');
    const m = await h.expect(h.request({ type: 'load', path: bin, tokenizerPath: tok }), 'modelLoaded');
    assert.deepEqual(
      [m.info.architecture, m.info.layers, m.info.heads, m.info.kvHeads, m.info.context, m.info.vocabSize, m.info.trainedSteps],
      ['llama', 5, 8, 4, 512, 512, null],
    );
    assert.equal(m.info.tokenizer, 'llama2c (512 tokens)');
    assert.equal(m.history, null, 'a model trained elsewhere has no history to show');

    const text = 'Once upon a time, there was a little girl named Lily.';
    const t = await h.expect(
      h.request({ type: 'tokens', windowStride: 0, documentKey: DOC, version: 3, text, ranges: [{ start: 0, end: text.length }] }),
      'tokens',
    );
    const direct = await loadModel(bin, tok);
    const enc = direct.tokenizer.encode(text);
    const s = t.slices[0]!;
    assert.deepEqual(Array.from(s.ids), Array.from(enc.ids), 'BOS included: it belongs to a range starting at 0');
    assert.deepEqual(
      Array.from(s.starts),
      enc.tokens.map((x) => x.start),
    );
    assert.equal(t.tokenCount, enc.ids.length);

    const T = enc.ids.length;
    const q = T - 1;
    const a = await h.expect(h.request({ type: 'attention', documentKey: DOC, version: 3, from: q, to: T }), 'attentionRows');
    assert.deepEqual([a.windowStart, a.windowLength, a.layers, a.heads], [0, T, 5, 8]);
    const r = direct.model.forward(null, enc.ids, 1, T, { capture: { attention: true, scores: true } });
    for (let l = 0; l < 5; l++) {
      for (let hd = 0; hd < 8; hd++) {
        const row = r.layers[l]!.attention!.subarray((hd * T + q) * T, (hd * T + q + 1) * T);
        const got = a.rows.subarray((l * 8 + hd) * T, (l * 8 + hd + 1) * T);
        for (let k = 0; k < T; k++) assert.ok(Math.abs(got[k]! - row[k]!) < 1e-6, `l${l} h${hd} k${k}`);
        const sc = r.layers[l]!.scores!.subarray((hd * T + q) * T, (hd * T + q + 1) * T);
        assert.deepEqual(Array.from(a.scores.subarray((l * 8 + hd) * T, (l * 8 + hd + 1) * T)), Array.from(sc));
      }
    }
    await h.expectFailure(h.request({ type: 'save', path: path.join(dir, 'stories.safetensors') }), 'checkpoint');
  });

  it('posts nothing after dispose, and stops a training run without saving', async () => {
    const h = new Harness();
    const out = path.join(dir, 'disposed.safetensors');
    const id = h.request(trainRequest(out, { steps: 10_000 }));
    await h.waitFor((m) => m.type === 'trainStep' && m.id === id);
    h.session.dispose();
    const count = h.messages.length;
    h.send({ type: 'load', id: 99, path: ckpt, tokenizerPath: null });
    await h.session.idle();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(h.messages.length, count);
    assert.ok(!fs.existsSync(out));
  });

  it('a reply that cannot be posted becomes a failed reply for its request', async () => {
    let refuse = true;
    const h = new Harness({}, (m: WorkerToHost) => {
      if (m.type === 'modelLoaded' && refuse) {
        refuse = false;
        throw new Error('DataCloneError: could not clone');
      }
    });
    const id = h.request({ type: 'load', path: ckpt, tokenizerPath: null });
    const f = (await h.reply(id)) as Msg<'failed'>;
    assert.equal(f.type, 'failed');
    assert.equal(f.code, 'internal');
  });
});
