/**
 * The worker thread's entry (bundled to dist/worker.js; the host starts it with
 * `new Worker(path)`). It only wires the thread's port to a WorkerSession, which holds all
 * the behaviour, and posts the handshake before anything else.
 */

import { parentPort } from 'node:worker_threads';
import { enableRelaxedSimd } from '../node/relaxedSimd';
import { failure } from './errors';
import { WorkerSession } from './session';

const port = parentPort;
if (!port) throw new Error('the Attention Lens worker must be started as a worker thread (new Worker(...)), not run directly');

enableRelaxedSimd(); // before the session (and with it the engine's kernels) starts
const session = new WorkerSession((message, transfer) => port.postMessage(message, transfer));
port.on('message', (message: unknown) => session.handle(message));
// A message that could not even be deserialised: answer as a malformed request.
port.on('messageerror', (e: Error) => port.postMessage({ ...failure(null, e), code: 'bad-request' }));
port.on('close', () => session.dispose());
// Requests catch their own errors; this is the last line for anything that escapes them.
process.on('unhandledRejection', (reason) => port.postMessage(failure(null, reason)));
session.start();
