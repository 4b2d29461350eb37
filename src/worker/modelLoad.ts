/**
 * A checkpoint read for a request (`load`, or `compare` with a second model): its progress posted
 * as `loadProgress` (throttled: node/loadProgress.ts) and stoppable by the request's cancel, which
 * aborts the read at its next piece. Whatever was read is dropped when cancelled: the caller
 * uses the model only after this resolves, so the previous state stays as it was.
 */

import type { WorkerToHost } from '../protocol/workerProtocol';
import { loadModel, type LoadedModel } from '../node/loadModel';
import { throttleProgress } from '../node/loadProgress';
import { WorkerError } from './errors';

/** What is read, for which request (its id names the progress messages). */
export interface LoadRequest {
  readonly id: number;
  readonly path: string;
  readonly tokenizerPath: string | null;
}

/** What the session keeps of a running request: the cancel flag, and the hook that stops it at once. */
export interface Cancellable {
  readonly cancelled: boolean;
  abort?: () => void;
}

const nextMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** `unchanged`: what the cancel message says stays as it was. */
export async function loadForRequest(
  r: LoadRequest,
  p: Cancellable,
  send: (m: WorkerToHost) => void,
  disposed: () => boolean,
  unchanged = 'the active model is unchanged',
): Promise<LoadedModel> {
  const controller = new AbortController();
  p.abort = () => controller.abort();
  const cancelled = (): WorkerError => new WorkerError('cancelled', `loading ${r.path} was cancelled; ${unchanged}`);
  let loaded: LoadedModel;
  try {
    loaded = await loadModel(r.path, r.tokenizerPath ?? undefined, {
      signal: controller.signal,
      // Nothing more once cancelled: a conversion under way finishes without telling anyone.
      onProgress: throttleProgress((x) => {
        if (!p.cancelled) send({ type: 'loadProgress', id: r.id, phase: x.phase, done: x.done, total: x.total });
      }),
    });
  } catch (e) {
    throw p.cancelled || disposed() ? cancelled() : e;
  } finally {
    p.abort = undefined;
  }
  // A cancel that arrived during synchronous work (a Hugging Face conversion; the port unread) is
  // read now: a macrotask ends this loop turn, the next turn's poll phase delivers port messages,
  // and the second macrotask runs after it.
  await nextMacrotask();
  await nextMacrotask();
  if (p.cancelled || disposed()) throw cancelled();
  return loaded;
}
