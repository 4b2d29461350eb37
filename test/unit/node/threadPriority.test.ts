/**
 * The editor's engine threads yield to VS Code: lowerThreadPriority lowers the nice value of the
 * calling thread only (the extension host shares the process), and backgroundThreadSpawner's
 * helpers lower their own. Read back through /proc/self/task/<tid>/stat, the kernel's own
 * account (Linux only, where a nice value is per thread; elsewhere nothing is changed).
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

const SRC = path.resolve(__dirname, '../../../src/node/computeThreads.ts');

/** The nice value of every thread of this process. */
function niceValues(): number[] {
  return fs.readdirSync('/proc/self/task').map((tid) => {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]); // field 19, "nice"
  });
}

/** Runs `body` in a worker thread (TypeScript sources through tsx); resolves what it posts. */
function inWorker(body: string): Promise<{ worker: Worker; reply: unknown }> {
  const program = `const { parentPort } = require('node:worker_threads');\nconst threads = require(${JSON.stringify(SRC)});\n${body}`;
  const worker = new Worker(program, { eval: true, execArgv: ['--require', require.resolve('tsx/cjs')] });
  return new Promise((resolve, reject) => {
    worker.once('message', (reply) => resolve({ worker, reply }));
    worker.once('error', reject);
  });
}

describe('engine thread priority (the editor worker yields to VS Code)', function () {
  this.timeout(60_000);

  before(function () {
    if (process.platform !== 'linux') this.skip();
  });

  it('lowerThreadPriority lowers the calling thread, not the process', async () => {
    const before = niceValues();
    const mine = require('node:os').getPriority(0) as number;
    const { worker, reply } = await inWorker(
      `threads.lowerThreadPriority(); parentPort.postMessage(require('node:os').getPriority(0)); setInterval(() => {}, 1000);`,
    );
    try {
      assert.equal(reply, Math.max(10, mine), 'the worker thread was not lowered');
      assert.equal(require('node:os').getPriority(0), mine, 'the calling (main) thread changed too');
      const after = niceValues();
      assert.equal(after.filter((n) => n === 10).length - before.filter((n) => n === 10).length, mine < 10 ? 1 : 0, `nice values ${after.join(' ')}`);
    } finally {
      await worker.terminate();
    }
  });

  it("backgroundThreadSpawner's helpers lower themselves; nodeThreadSpawner's keep the caller's priority", async () => {
    const mine = require('node:os').getPriority(0) as number;
    const probe = (spawner: string): Promise<{ worker: Worker; reply: unknown }> =>
      inWorker(`
        // A helper program that reports its own priority, started as the engine starts its helpers.
        const control = new SharedArrayBuffer(8);
        const source = '(data) => { const w = new Int32Array(data.control); Atomics.store(w, 0, require("node:os").getPriority(0) + 100); Atomics.notify(w, 0); }';
        threads.${spawner}.spawn(source, { control, module: null, memory: null, slot: 0, names: [] });
        const w = new Int32Array(control);
        Atomics.wait(w, 0, 0, 20000);
        parentPort.postMessage(Atomics.load(w, 0) - 100);`);
    for (const [spawner, want] of [
      ['backgroundThreadSpawner', Math.max(10, mine)],
      ['nodeThreadSpawner', mine],
    ] as const) {
      const { worker, reply } = await probe(spawner);
      await worker.terminate();
      assert.equal(reply, want, spawner);
    }
  });
});
