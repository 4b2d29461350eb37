/**
 * The worker's state and its answers to the host, without the thread: everything goes out
 * through the injected `post(message, transfer)`, so tests drive a session directly.
 *
 * Ordering. Requests are validated on arrival, then queued and run one at a time in arrival
 * order, with a macrotask yield between them (so a `cancel` sent behind a request can still
 * reach it while it waits). `cancel` itself is handled on arrival: a queued request fails
 * with 'cancelled' at once; a running load stops at its next piece of the file or tensor checked
 * (a Hugging Face conversion under way ends first), leaving the active model as it was; a training
 * run stops within one step. A save that is already writing completes. A document's
 * new text (a `tokens` request with text) fails the queued requests about its older versions
 * as 'stale' on arrival: typing fast never leaves a backlog of answers nobody will read.
 *
 * Training runs beside the queue: its `train` request is queued like any other (so it is
 * refused with 'busy' while another run is going), and once started, the trainer yields after
 * every step until the queue is empty, so every request that arrived during a step is answered
 * before the next one (a step of `small` takes ~0.4 s; one request per step would let the
 * editor's requests pile up without bound). They use the active model: the model being
 * trained becomes active only when its training ends (completed, cancelled after at least one
 * step, or diverged — the trainer then holds the last good parameters); then it is saved and
 * replaces the active model, and every cached encoding and attention window is dropped. A run cancelled before its first step
 * saves nothing and leaves the active model as it was.
 *
 * After dispose() nothing is posted, and a training run still going stops without saving.
 */

import { backendStatus, threadStatus, type Transformer } from '../engine';
import { assertNever, type ErrorCode } from '../protocol/common';
import { WORKER_PROTOCOL_VERSION, type HostToWorker, type WorkerToHost } from '../protocol/workerProtocol';
import { activeModelInfo, trainingHistory, type ActiveModel } from './activeModel';
import { runSnapshots } from './snapshotMessages';
import { passDriver, type PassDriver } from './passes';
import { DEFAULT_ATTENTION_CACHE_BYTES } from './attentionCache';
import { DocumentRequests } from './documentRequests';
import { HubDownloads } from './hubDownloads';
import { loadForRequest } from './modelLoad';
import { saveActiveModel } from './modelSave';
import { memoryReport } from './memoryReport';
import { failure, WorkerError } from './errors';
import { runGeneration } from './generation';
import { TrainingRun, type ContinueRequest, type TrainRequest } from './training';
import { EvalWatch } from './evalWatch';
import { driveTraining } from './trainingDriver';
import { parseHostMessage } from './validate';

export type PostFn = (message: WorkerToHost, transfer: ArrayBuffer[]) => void;

export interface WorkerSessionOptions {
  /** Budget of the attention-window cache in bytes (default 256 MB). */
  readonly attentionCacheBytes?: number;
  /** Test seam: called after each training step is reported, with the model being trained. */
  readonly afterTrainStep?: (model: Transformer, step: number) => void;
}

type QueuedRequest = Exclude<HostToWorker, { type: 'cancel' | 'memory' | 'hubDownload' }>;
type Request<T extends QueuedRequest['type']> = Extract<QueuedRequest, { type: T }>;

interface Pending {
  readonly request: QueuedRequest;
  cancelled: boolean;
  /** Stops the running request at once, where it can be (a load's file read). */
  abort?: () => void;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class WorkerSession {
  private readonly queue: Pending[] = [];
  private current: Pending | null = null;
  private draining = false;
  /** Resolved when the queue runs dry (what the training loop waits for between steps). */
  private drained: (() => void)[] = [];
  private disposed = false;
  private active: ActiveModel | null = null;
  private training: TrainingRun | null = null;
  private trainingDone: Promise<void> = Promise.resolve();
  private readonly downloads = new HubDownloads((m) => this.send(m));
  /** Everything asked about a document's text: tokens, attention, views, ablation, attribution, comparisons. */
  private readonly docs: DocumentRequests;

  constructor(
    private readonly post: PostFn,
    private readonly options: WorkerSessionOptions = {},
  ) {
    this.docs = new DocumentRequests(
      options.attentionCacheBytes ?? DEFAULT_ATTENTION_CACHE_BYTES,
      () => this.requireModel(),
      (m, t) => this.send(m, t),
    );
  }

  /** Posts the handshake; call once, before the first message is handled. */
  start(): void {
    const kernels = backendStatus();
    const threads = threadStatus();
    this.send({
      type: 'ready',
      protocolVersion: WORKER_PROTOCOL_VERSION,
      backend: kernels.name,
      backendFallbackReason: kernels.fallbackReason,
      threads: threads.threads,
      threadsFallbackReason: threads.fallbackReason,
    });
  }

  /** Entry point for every message from the host; never throws. */
  handle(raw: unknown): void {
    if (this.disposed) return;
    try {
      const parsed = parseHostMessage(raw);
      if (!parsed.ok) {
        this.send({ type: 'failed', id: parsed.id, code: 'bad-request', message: `malformed message: ${parsed.reason}`, detail: null });
        return;
      }
      const m = parsed.message;
      switch (m.type) {
        case 'cancel':
          this.cancel(m.target, m.id);
          return;
        case 'memory':
          this.send(memoryReport(m.id, m.collectGarbage, this.docs.memory()));
          return;
        case 'tokens':
          // A new text makes every queued question about an older version moot: drop them now, so
          // the latest text is answered next however many requests a burst of typing queued.
          if (m.text !== null) this.dropSuperseded(m.documentKey, m.version);
          this.queue.push({ request: m, cancelled: false });
          this.drainSoon();
          return;
        case 'hubDownload':
          this.downloads.start(m);
          return;
        case 'train':
        case 'continueTraining':
        case 'load':
        case 'save':
        case 'attention':
        case 'closeDocument':
        case 'view':
        case 'generate':
        case 'compare':
        case 'ablate':
        case 'attribute':
          this.queue.push({ request: m, cancelled: false });
          this.drainSoon();
          return;
        default:
          assertNever(m);
      }
    } catch (e) {
      this.send(failure(null, e));
    }
  }

  /** Stops everything; later messages are ignored and nothing more is posted. */
  dispose(): void {
    this.disposed = true;
    this.queue.length = 0;
    this.current?.abort?.();
    this.downloads.dispose();
    if (this.training) this.training.cancellation.isCancellationRequested = true;
  }

  /** Resolves when no request is queued or running and no training is going (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.draining || this.queue.length > 0 || this.training) {
      await this.trainingDone;
      await yieldToEventLoop();
    }
  }

  // ------------------------------------------------------------------ queue

  private drainSoon(): void {
    if (this.draining) return;
    this.draining = true;
    setImmediate(() => void this.drain());
  }

  /** Resolves once no request is queued or running. */
  private untilDrained(): Promise<void> {
    if (!this.draining) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.disposed) {
      const pending = this.queue.shift()!;
      this.current = pending;
      try {
        await this.execute(pending);
      } catch (e) {
        this.send(failure(pending.request.id, e, fallbackCode(pending.request.type)));
      } finally {
        this.current = null;
      }
      await yieldToEventLoop();
    }
    this.draining = false;
    for (const resolve of this.drained.splice(0)) resolve();
  }

  private execute(p: Pending): Promise<void> | void {
    const r = p.request;
    switch (r.type) {
      case 'train':
        return this.startTraining(r);
      case 'continueTraining':
        return this.startTraining(r);
      case 'load':
        return this.load(r, p);
      case 'save':
        return this.save(r);
      case 'tokens':
        return this.docs.tokens(r);
      case 'attention':
        return this.docs.attention(r);
      case 'closeDocument':
        return this.docs.close(r);
      case 'view':
        return this.docs.view(r, this.passes(r.id, p));
      case 'ablate':
        return this.docs.ablate(r);
      case 'attribute':
        return this.docs.attribute(r, this.passes(r.id, p));
      case 'generate':
        return runGeneration(
          r,
          this.requireModel(),
          () => p.cancelled || this.disposed,
          (m) => this.send(m),
        );
      case 'compare':
        return this.docs.compare(r, p, () => this.disposed);
      default:
        return assertNever(r, 'request');
    }
  }

  private cancel(target: number, by: number): void {
    if (this.downloads.cancel(target)) return;
    if (this.training?.id === target) {
      this.training.cancellation.isCancellationRequested = true;
      return;
    }
    const i = this.queue.findIndex((p) => p.request.id === target);
    if (i >= 0) {
      this.queue.splice(i, 1);
      this.send({ type: 'failed', id: target, code: 'cancelled', message: `request ${target} was cancelled (by request ${by})`, detail: null });
      return;
    }
    // A running request notices at its next check; an unknown or finished one has nothing to stop.
    if (this.current?.request.id === target) {
      this.current.cancelled = true;
      this.current.abort?.();
    }
  }

  /** Fails (as 'stale') the queued requests about versions of `documentKey` older than `version`. */
  private dropSuperseded(documentKey: string, version: number): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const r = this.queue[i]!.request;
      if ((r.type === 'tokens' || r.type === 'attention' || r.type === 'view') && r.documentKey === documentKey && r.version < version) {
        this.queue.splice(i, 1);
        this.send({
          type: 'failed',
          id: r.id,
          code: 'stale',
          message: `${documentKey} version ${r.version} was replaced by version ${version} before it was answered`,
          detail: null,
        });
      }
    }
  }

  // ------------------------------------------------------------------ models

  private async startTraining(r: TrainRequest | ContinueRequest): Promise<void> {
    if (this.training) {
      throw new WorkerError('busy', `a model is already training (request ${this.training.id}); cancel it or wait for it to finish`);
    }
    const run = r.type === 'train' ? TrainingRun.prepare(r) : TrainingRun.prepareContinue(r, this.requireModel());
    this.training = run; // before any await: a second train request is refused from now on
    try {
      await run.prepareCheckpointFolder();
    } catch (e) {
      this.training = null;
      throw e;
    }
    const data = run.trainer.data;
    this.send({
      type: 'trainStarted',
      id: r.id,
      info: run.info(),
      totalSteps: run.options.steps,
      trainTokens: data.train.length,
      validationTokens: data.validation.length,
      resumed: trainingHistory(run.resumedFrom),
      snapshots: runSnapshots(run.trainer.snapshots?.record(), run.tokenizer, run.model.config, run.probeOffset),
    });
    this.trainingDone = this.train(run, new EvalWatch(run.trainer, run.tokenizer, r.samplePrompt));
  }

  private async train(run: TrainingRun, watch: EvalWatch): Promise<void> {
    try {
      const finished = await driveTraining(run, watch, {
        send: (m) => this.send(m),
        // A macrotask first, so messages that arrived during the step are queued; then they are answered.
        yieldControl: async () => {
          await yieldToEventLoop();
          await this.untilDrained();
        },
        afterTrainStep: (model, step) => this.options.afterTrainStep?.(model, step),
        disposed: () => this.disposed,
        activate: (m) => this.activate(m),
      });
      if (!finished) return;
      this.training = null;
      this.send(finished);
    } catch (e) {
      this.send(failure(run.id, e));
    } finally {
      if (this.training === run) this.training = null;
    }
  }

  private async load(r: Request<'load'>, p: Pending): Promise<void> {
    const loaded = await loadForRequest(
      r,
      p,
      (m) => this.send(m),
      () => this.disposed,
    );
    this.activate({ model: loaded.model, tokenizer: loaded.tokenizer, tokenizerJson: loaded.tokenizerJson ?? null, training: loaded.training, source: r.path });
    this.send({
      type: 'modelLoaded',
      id: r.id,
      info: activeModelInfo(this.active!),
      history: trainingHistory(loaded.training),
      snapshots: runSnapshots(loaded.training?.snapshots, loaded.tokenizer, loaded.model.config, null),
    });
  }

  private async save(r: Request<'save'>): Promise<void> {
    await saveActiveModel(this.requireModel(), r.path);
    this.send({ type: 'saved', id: r.id, path: r.path });
  }

  private activate(m: ActiveModel): void {
    this.active = m;
    this.docs.forgetModel();
  }

  private requireModel(): ActiveModel {
    if (!this.active) throw new WorkerError('no-model', 'no model is loaded: train one or open a checkpoint first');
    return this.active;
  }

  // ------------------------------------------------------------------ long analyses

  /** Runs a request's long analysis pass by pass: `progress` after each batch, stopped by a cancel of that request. */
  private passes(id: number, p: Pending): PassDriver {
    return passDriver(
      () => p.cancelled || this.disposed,
      (c) => this.send({ type: 'progress', id, done: c.done, total: c.total }),
    );
  }

  // ------------------------------------------------------------------ posting

  private send(message: WorkerToHost, transfer: ArrayBuffer[] = []): void {
    if (this.disposed) return;
    try {
      this.post(message, transfer);
    } catch (e) {
      // e.g. a value that cannot be cloned: the request still gets an answer.
      if (message.type === 'failed') return;
      try {
        this.post(failure('id' in message ? message.id : null, e), []);
      } catch {
        // The port is gone; there is no one left to tell.
      }
    }
  }
}

/** What an unforeseen error means for each request. */
function fallbackCode(type: QueuedRequest['type']): ErrorCode {
  return type === 'load' || type === 'save' ? 'checkpoint' : 'internal';
}
