/**
 * The real thing: src/worker/main.ts bundled by esbuild (as esbuild.mjs does for
 * dist/worker.js, but into a temporary folder) and started with `new Worker(file)`. Checks
 * the handshake, that a malformed message does not kill the thread, that training progress
 * streams while it runs, that a cancel stops it within a step, and that typed arrays
 * (−Infinity included) arrive intact; and that a thread count above the machine's cores gets the cores.
 */

import assert from 'node:assert/strict';
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { backendStatus } from '../../../src/engine/kernels/activeBackend';
import { WORKER_PROTOCOL_VERSION, type WorkerToHost } from '../../../src/protocol/workerProtocol';
import { SAMPLE_TEXT, tempDir } from './harness';

const REPO = path.resolve(__dirname, '../../..');

describe('worker thread (bundled main.ts)', function () {
  this.timeout(120_000);
  let dir: string;
  let worker: Worker | null = null;
  const messages: WorkerToHost[] = [];
  let notify: () => void = () => undefined;

  before(async () => {
    dir = tempDir();
    await esbuild.build({
      entryPoints: [path.join(REPO, 'src/worker/main.ts')],
      outfile: path.join(dir, 'worker.js'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      logLevel: 'silent',
    });
  });

  after(async () => {
    await worker?.terminate();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function next(match: (m: WorkerToHost) => boolean, timeoutMs = 60_000): Promise<WorkerToHost> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; got ${messages.map((m) => m.type).join(', ')}`)), timeoutMs);
      const check = (): void => {
        const m = messages.find(match);
        if (m) {
          clearTimeout(timer);
          resolve(m);
        } else notify = check;
      };
      check();
    });
  }

  it('handshakes, survives garbage, streams training steps and cancels within a step', async () => {
    // As the host starts it: with the attentionLens.engine.threads setting (here 2 compute threads).
    worker = new Worker(path.join(dir, 'worker.js'), { workerData: { threads: 2 } });
    worker.on('message', (m: WorkerToHost) => {
      messages.push(m);
      notify();
    });
    worker.on('error', (e) => messages.push({ type: 'failed', id: -1, code: 'internal', message: `worker crashed: ${e.message}`, detail: null }));

    const ready = await next(() => true);
    // The thread turns relaxed SIMD on for itself, so it may pick a faster build than this process.
    const { backend, ...rest } = ready as Extract<WorkerToHost, { type: 'ready' }>;
    const threads = Math.min(2, os.availableParallelism()); // never more than the machine's cores (below)
    assert.deepEqual(rest, { type: 'ready', protocolVersion: WORKER_PROTOCOL_VERSION, backendFallbackReason: null, threads, threadsFallbackReason: null });
    assert.ok(backend === backendStatus().name || backend === 'wasm-relaxed-simd', `backend ${backend}`);

    worker.postMessage({ type: 'bogus', id: 1 });
    worker.postMessage('nonsense');
    const bad = await next((m) => m.type === 'failed' && m.id === 1);
    assert.equal(bad.type === 'failed' && bad.code, 'bad-request');

    const out = path.join(dir, 'trained', 'model.safetensors');
    worker.postMessage({
      type: 'train',
      id: 2,
      text: SAMPLE_TEXT.repeat(2),
      checkpointPath: out,
      sourceName: 'sample',
      probe: null,
      options: { preset: 'tiny', steps: 100_000, batchSize: 1, learningRate: null, seed: 1, evalInterval: 1000, attention: 'soft', snapshotEvery: null },
    });
    await next((m) => m.type === 'trainStarted' && m.id === 2);
    await next((m) => m.type === 'trainStep' && m.id === 2 && m.step >= 3);
    const seen = messages.filter((m) => m.type === 'trainStep').length;
    worker.postMessage({ type: 'cancel', id: 3, target: 2 });
    const fin = await next((m) => m.type === 'trainFinished' && m.id === 2);
    assert.ok(fin.type === 'trainFinished');
    assert.equal(fin.reason, 'cancelled');
    // Steps already under way when the cancel was sent may finish; no more than one beyond them.
    assert.ok(fin.step <= seen + 2, `stopped at step ${fin.step}; ${seen} steps had been reported when cancelling`);
    assert.equal(fin.checkpointPath, out);
    assert.ok(fs.existsSync(out));

    // The trained model is active: attention over the thread boundary, typed arrays intact.
    worker.postMessage({ type: 'tokens', id: 4, windowStride: 0, documentKey: 'd', version: 1, text: 'the cat sat', ranges: [{ start: 0, end: 11 }] });
    worker.postMessage({ type: 'attention', id: 5, documentKey: 'd', version: 1, from: 2, to: 3 });
    const tok = await next((m) => 'id' in m && m.id === 4);
    assert.ok(tok.type === 'tokens' && tok.slices[0]!.ids instanceof Int32Array && tok.slices[0]!.ids.length === 11);
    const att = await next((m) => 'id' in m && m.id === 5);
    assert.ok(att.type === 'attentionRows', JSON.stringify(att));
    assert.ok(att.rows instanceof Float32Array && att.rows.length === att.layers * att.heads * 11);
    assert.equal(att.scores[3], -Infinity);
    assert.ok(!messages.some((m) => m.type === 'failed' && m.id === -1));
  });

  it("a thread count above the machine's cores (the setting allows 64) starts as many threads as there are cores", async () => {
    const many = new Worker(path.join(dir, 'worker.js'), { workerData: { threads: 64 } });
    try {
      const ready = await new Promise<WorkerToHost>((resolve, reject) => {
        many.once('message', resolve);
        many.once('error', reject);
      });
      assert.ok(ready.type === 'ready');
      assert.equal(ready.threads, os.availableParallelism());
      assert.equal(ready.threadsFallbackReason, null);
    } finally {
      await many.terminate();
    }
  });
});
