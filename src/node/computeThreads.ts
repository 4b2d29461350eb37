/**
 * The Node side of the engine's compute threads (src/engine/kernels/computeThreads.ts): helper
 * threads are worker_threads running the engine's helper program as eval'd source, so nothing
 * needs to be bundled or found on disk. They are unref'd: a helper never keeps a process alive
 * (the CLI exits when its work is done), and the engine stops them when it is disposed.
 */

import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { HelperData, SpawnedThread, ThreadSpawner } from '../engine';

/**
 * The nice value of the editor's engine threads (the engine worker and its compute helpers):
 * below VS Code's own, so the extension host takes a core at once when it needs one while the
 * engine trains. Only on Linux, where a nice value belongs to one thread; elsewhere
 * setPriority(0, …) would lower the whole extension host.
 */
const BACKGROUND_NICE = 10;
const perThreadPriority = process.platform === 'linux';

/** Lowers the calling thread's priority to BACKGROUND_NICE (Linux; never raises it; never throws). */
export function lowerThreadPriority(): void {
  if (!perThreadPriority) return;
  try {
    if (os.getPriority(0) < BACKGROUND_NICE) os.setPriority(0, BACKGROUND_NICE);
  } catch {
    // A sandbox that refuses it: the thread keeps its priority.
  }
}

export const nodeThreadSpawner: ThreadSpawner = spawnerWith('');

/** Helpers that lower their own priority first, as lowerThreadPriority (for the editor's worker). */
export const backgroundThreadSpawner: ThreadSpawner = spawnerWith(
  perThreadPriority
    ? `try { const os = require('node:os'); if (os.getPriority(0) < ${BACKGROUND_NICE}) os.setPriority(0, ${BACKGROUND_NICE}); } catch {}\n`
    : '',
);

function spawnerWith(prelude: string): ThreadSpawner {
  return { spawn: (source, data) => spawnHelper(prelude, source, data) };
}

function spawnHelper(prelude: string, source: string, data: HelperData): SpawnedThread {
  const program = `${prelude}const { workerData } = require('node:worker_threads');\n(${source})(workerData, (f) => process.on('exit', f));`;
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
}

/**
 * The default number of compute threads: the machine's cores less `reserved` (cores something
 * else needs at the same time), at least 1 and at most 4.
 */
export function defaultThreads(reserved = 0): number {
  return Math.max(1, Math.min(4, machineCores() - reserved));
}

/** The cores this process may run on. */
export function machineCores(): number {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}
