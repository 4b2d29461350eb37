/**
 * The Node side of the engine's compute threads (src/engine/kernels/computeThreads.ts): helper
 * threads are worker_threads running the engine's helper program as eval'd source, so nothing
 * needs to be bundled or found on disk. They are unref'd: a helper never keeps a process alive
 * (the CLI exits when its work is done), and the engine stops them when it is disposed.
 */

import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { HelperData, SpawnedThread, ThreadSpawner } from '../engine';

export const nodeThreadSpawner: ThreadSpawner = {
  spawn(source: string, data: HelperData): SpawnedThread {
    const program = `const { workerData } = require('node:worker_threads');\n(${source})(workerData, (f) => process.on('exit', f));`;
    const worker = new Worker(program, { eval: true, workerData: data, name: `attention-lens-compute-${data.slot + 2}` });
    worker.unref();
    // An error inside the helper is reported through the control block; this only keeps an
    // uncaught one from becoming the parent's unhandled 'error' event.
    worker.on('error', () => {});
    return {
      terminate() {
        void worker.terminate();
      },
    };
  },
};

/**
 * The default number of compute threads: the machine's cores less `reserved` (cores something
 * else needs at the same time), at least 1 and at most 4.
 */
export function defaultThreads(reserved = 0): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(4, cores - reserved));
}
