/**
 * The host's side of the worker: starts the worker thread, checks the protocol handshake,
 * sends requests with ids and routes replies (and training progress) back to whoever asked.
 * A worker that dies is reported once, every pending request fails with a clear reason,
 * and a fresh worker is started (the caller reloads the active model on `onDidRestart`).
 *
 * The extension host never computes anything itself: this file only moves messages.
 */

import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import {
  PROGRESS_TYPES,
  REPLY_TYPES,
  WORKER_PROTOCOL_VERSION,
  type CallProgress,
  type CallReply,
  type CallType,
  type HostToWorker,
  type WorkerCalls,
  type WorkerReply,
  type WorkerToHost,
} from '../protocol/workerProtocol';
import { EngineError } from './engineError';
import type { Log } from './log';

/** A request of call K as the caller writes it: the client assigns the id. */
export type Request<K extends CallType> = { readonly type: K } & WorkerCalls[K]['request'];

export { EngineError };

interface Pending {
  readonly resolve: (m: WorkerReply) => void;
  readonly reject: (e: EngineError) => void;
  /** Intermediate messages (training progress); the final one resolves. */
  readonly onProgress?: (m: WorkerReply) => void;
  readonly isFinal: (m: WorkerReply) => boolean;
}

/**
 * Crashes in a row (no request answered in between) after which the worker is not restarted
 * on its own: something it does at start-up — reloading the model, say — kills it each time.
 * The next request starts it again.
 */
const MAX_CONSECUTIVE_CRASHES = 3;

export class EngineClient implements vscode.Disposable {
  private worker: Worker | null = null;
  private ready: Promise<string> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private disposed = false;
  private consecutiveCrashes = 0;
  /** The last crash was not followed by a restart: announce the next start as one. */
  private restartOwed = false;
  /** Fails the handshake of a worker that dies before saying `ready`. */
  private failStart: ((e: EngineError) => void) | null = null;
  private readonly restarted = new vscode.EventEmitter<void>();
  private readonly crashed = new vscode.EventEmitter<string>();
  /** Fires after a crashed worker was replaced by a fresh one (with no model loaded). */
  readonly onDidRestart = this.restarted.event;
  /** Fires once per crash with a human-readable reason. */
  readonly onDidCrash = this.crashed.event;
  /** Name of the numeric backend the worker reported ('js', 'wasm-simd', …). */
  backend = 'unknown';

  constructor(
    private readonly workerPath: string,
    private readonly log: Log,
    /** The compute threads to start the worker with (attentionLens.engine.threads; 0: automatic). */
    private readonly threads: () => number = () => 0,
  ) {}

  /** Requests sent and not answered yet (a training run counts as one until it finishes). */
  get pendingRequests(): number {
    return this.pending.size;
  }

  /** Starts the worker if needed and resolves once the handshake succeeded. */
  start(): Promise<string> {
    if (this.disposed) return Promise.reject(new EngineError('internal', 'the extension is shutting down'));
    if (this.ready) return this.ready;
    const asked = this.threads();
    const worker = new Worker(this.workerPath, { name: 'attention-lens-engine', workerData: { threads: asked } });
    this.worker = worker;
    this.ready = new Promise<string>((resolve, reject) => {
      this.failStart = reject;
      const onFirst = (m: WorkerToHost): void => {
        worker.off('message', onFirst);
        if (m?.type !== 'ready' || m.protocolVersion !== WORKER_PROTOCOL_VERSION) {
          const found = m?.type === 'ready' ? `protocol ${m.protocolVersion}` : `a "${String(m?.type)}" message`;
          reject(
            new EngineError(
              'protocol',
              `the engine worker speaks ${found}, the extension expects protocol ${WORKER_PROTOCOL_VERSION}; reinstall the extension`,
            ),
          );
          void worker.terminate();
          return;
        }
        this.backend = m.backend;
        const threads = `${m.threads} compute thread${m.threads === 1 ? '' : 's'}`;
        this.log.info(`engine worker ready (protocol ${m.protocolVersion}, ${m.backend} kernels, ${threads})`);
        if (m.backendFallbackReason) this.log.warn(`WebAssembly kernels unavailable, using the JavaScript ones: ${m.backendFallbackReason}`);
        if (m.threadsFallbackReason) this.log.warn(`the engine runs on ${threads}: ${m.threadsFallbackReason}`);
        else if (asked > m.threads)
          this.log.info(`attentionLens.engine.threads asks for ${asked}; the engine uses ${m.threads}, this machine's cores (more would only take turns)`);
        worker.on('message', (msg: WorkerToHost) => this.route(msg));
        this.failStart = null;
        resolve(m.backend);
        if (this.restartOwed) {
          this.restartOwed = false;
          this.restarted.fire();
        }
      };
      worker.on('message', onFirst);
      worker.once('error', (e) => reject(new EngineError('internal', `the engine worker failed to start: ${e.message}`)));
    });
    worker.on('error', (e) => this.onWorkerGone(worker, `the engine worker crashed: ${e.message}`, e.stack ?? null));
    worker.on('exit', (code) => this.onWorkerGone(worker, `the engine worker stopped unexpectedly (exit code ${code})`, null));
    return this.ready;
  }

  /**
   * Sends a request. `id` identifies it for cancel(); `reply` resolves with the call's final
   * reply (its type follows from the request's: protocol/workerProtocol.ts WorkerCalls) or
   * rejects with an EngineError; progress messages before it go to `onProgress`.
   */
  send<K extends CallType>(message: Request<K>, onProgress?: (m: CallProgress<K>) => void): { readonly id: number; readonly reply: Promise<CallReply<K>> } {
    const id = this.nextId++;
    const type: K = message.type;
    const expected: string = REPLY_TYPES[type];
    const progress: readonly string[] = PROGRESS_TYPES[type];
    const reply = this.start().then(
      () =>
        new Promise<CallReply<K>>((resolve, reject) => {
          const isFinal = (m: WorkerReply): boolean => !progress.includes(m.type);
          const accept = (m: WorkerReply): void => {
            if (m.type === expected) resolve(m as CallReply<K>);
            else reject(new EngineError('internal', `the engine answered "${m.type}" to a "${type}" request (expected "${expected}")`));
          };
          const report = onProgress ? (m: WorkerReply): void => onProgress(m as CallProgress<K>) : undefined;
          this.pending.set(id, { resolve: accept, reject, onProgress: report, isFinal });
          this.worker?.postMessage({ ...message, id } as HostToWorker);
        }),
    );
    return { id, reply };
  }

  /** send() for callers that don't need the id. */
  call<K extends CallType>(message: Request<K>): Promise<CallReply<K>> {
    return this.send(message).reply;
  }

  /**
   * Asks the worker to cancel request `target` (training stops within one step). Posted after
   * the handshake, like the requests: a request sent just before is posted first, so a cancel
   * right after send() is never ahead of what it cancels.
   */
  cancel(target: number): void {
    if (!this.ready || this.disposed) return;
    const id = this.nextId++;
    void this.ready.then(
      () => this.worker?.postMessage({ type: 'cancel', id, target } satisfies HostToWorker),
      () => undefined,
    );
  }

  /** Stops the worker on purpose (tests use it to simulate a crash). */
  async terminateForTesting(): Promise<void> {
    await this.worker?.terminate();
  }

  private route(m: WorkerToHost): void {
    if (typeof m !== 'object' || m === null || typeof (m as { type?: unknown }).type !== 'string') {
      this.log.warn(`ignored a malformed message from the engine worker: ${String(m)}`);
      return;
    }
    if (m.type === 'ready') return;
    if (m.type === 'failed') {
      if (m.id === null) {
        this.log.error(`engine: ${m.message}${m.detail ? `\n${m.detail}` : ''}`);
        return;
      }
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.detail) this.log.debug(`engine request ${m.id} failed (${m.code}): ${m.detail}`);
      p?.reject(new EngineError(m.code, m.message, m.detail));
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return; // reply to a request whose caller gave up (e.g. a cancelled hover)
    if (p.isFinal(m)) {
      this.pending.delete(m.id);
      this.consecutiveCrashes = 0;
      p.resolve(m);
    } else {
      p.onProgress?.(m);
    }
  }

  private onWorkerGone(worker: Worker, reason: string, detail: string | null): void {
    if (worker !== this.worker) return; // an old worker's late event
    this.worker = null;
    this.ready = null;
    this.failStart?.(new EngineError('internal', reason, detail, true));
    this.failStart = null;
    const failures = [...this.pending.values()];
    this.pending.clear();
    for (const p of failures) p.reject(new EngineError('internal', reason, detail, true));
    if (this.disposed) return;
    this.log.error(`${reason}${detail ? `\n${detail}` : ''}`);
    this.crashed.fire(reason);
    if (++this.consecutiveCrashes > MAX_CONSECUTIVE_CRASHES) {
      this.log.error(`the engine worker crashed ${this.consecutiveCrashes} times in a row; it will be started again by the next request`);
      this.consecutiveCrashes = 0;
      this.restartOwed = true;
      return;
    }
    this.restartOwed = true;
    this.start().catch((e: Error) => this.log.error(`could not restart the engine worker: ${e.message}`));
  }

  dispose(): void {
    this.disposed = true;
    for (const p of this.pending.values()) p.reject(new EngineError('cancelled', 'the extension is shutting down'));
    this.pending.clear();
    void this.worker?.terminate();
    this.worker = null;
    this.restarted.dispose();
    this.crashed.dispose();
  }
}
