/**
 * The worker thread's entry (bundled to dist/worker.js; the host starts it with
 * `new Worker(path, { workerData: { threads } })`). It only starts the engine's compute
 * threads, wires the thread's port to a WorkerSession, which holds all the behaviour, and posts
 * the handshake before anything else.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { setComputeThreads } from '../engine';
import { backgroundThreadSpawner, defaultThreads, lowerThreadPriority, machineCores } from '../node/computeThreads';
import { enableRelaxedSimd } from '../node/relaxedSimd';
import { failure } from './errors';
import { WorkerSession } from './session';

const port = parentPort;
if (!port) throw new Error('the Attention Lens worker must be started as a worker thread (new Worker(...)), not run directly');

enableRelaxedSimd(); // before the session (and with it the engine's kernels) starts
// The engine yields to VS Code: the extension host (the same process) and the window stay
// responsive while it trains on every core it has.
lowerThreadPriority();
setComputeThreads(requestedThreads(workerData), backgroundThreadSpawner);
const session = new WorkerSession((message, transfer) => port.postMessage(message, transfer));
port.on('message', (message: unknown) => session.handle(message));
// A message that could not even be deserialised: answer as a malformed request.
port.on('messageerror', (e: Error) => port.postMessage({ ...failure(null, e), code: 'bad-request' }));
port.on('close', () => {
  session.dispose();
  setComputeThreads(1, null); // the helper threads end with the session
});
// Requests catch their own errors; this is the last line for anything that escapes them.
process.on('unhandledRejection', (reason) => port.postMessage(failure(null, reason)));
session.start();

/**
 * The compute threads the host asks for; 0 or absent (automatic): one core fewer than the CLI
 * takes, because VS Code itself (renderer, extension host) works while the engine trains. On
 * 2 cores, 1,000 steps of `small` in the soak took 8.9 min on 2 threads and 7.3 min on 1, with
 * the host's p90 lag 2.9 against 1.6 ms. A count above the machine's cores gets the cores (more
 * threads than cores only take turns: 64 on 2 cores trained about 7 times slower than 1); the
 * host sees the count in `ready` and says so. Anything else is ignored.
 */
function requestedThreads(data: unknown): number {
  const t = typeof data === 'object' && data !== null ? (data as { threads?: unknown }).threads : undefined;
  return typeof t === 'number' && Number.isInteger(t) && t >= 1 && t <= 64 ? Math.min(t, machineCores()) : defaultThreads(1);
}
