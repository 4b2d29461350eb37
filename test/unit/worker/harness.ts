/**
 * Drives a WorkerSession the way the host would, without a thread: messages go in through
 * `send`, everything the session posts is collected, and `reply(id)` waits for a request's
 * answer. Also builds small native checkpoints with the real engine for the tests to load.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { serializeCheckpoint } from '../../../src/engine/checkpoint/native';
import { presetConfig } from '../../../src/engine/models/presets';
import { Transformer } from '../../../src/engine/nn/transformer';
import { Rng } from '../../../src/engine/random';
import { CharTokenizer } from '../../../src/engine/tokenizer/charTokenizer';
import { perturbedModel } from '../../helpers/analysisModels';
import type { EnginePayload, ViewName } from '../../../src/protocol/dashboardViews';
import type { WorkerToHost } from '../../../src/protocol/workerProtocol';
import { WorkerSession, type WorkerSessionOptions } from '../../../src/worker/session';

export type Msg<T extends WorkerToHost['type']> = Extract<WorkerToHost, { type: T }>;

/** Messages that end a request (everything but progress). */
const PROGRESS = new Set(['trainStarted', 'trainStep', 'trainEval', 'trainSnapshot', 'generatedToken', 'progress', 'loadProgress', 'hubProgress']);

export class Harness {
  readonly messages: WorkerToHost[] = [];
  readonly transfers: ArrayBuffer[][] = [];
  readonly session: WorkerSession;
  private nextId = 1;
  private listeners: (() => void)[] = [];

  constructor(options: WorkerSessionOptions = {}, post?: (m: WorkerToHost, t: ArrayBuffer[]) => void) {
    this.session = new WorkerSession((m, t) => {
      post?.(m, t);
      this.messages.push(m);
      this.transfers.push(t);
      for (const l of this.listeners) l();
    }, options);
  }

  id(): number {
    return this.nextId++;
  }

  send(message: unknown): void {
    this.session.handle(message);
  }

  /** Sends a request with a fresh id; returns the id. */
  request(message: Record<string, unknown>): number {
    const id = this.id();
    this.send({ ...message, id });
    return id;
  }

  /** The first message (already posted or still to come) that `match` accepts. */
  waitFor<M extends WorkerToHost>(match: (m: WorkerToHost) => m is M, timeoutMs?: number): Promise<M>;
  waitFor(match: (m: WorkerToHost) => boolean, timeoutMs?: number): Promise<WorkerToHost>;
  waitFor(match: (m: WorkerToHost) => boolean, timeoutMs = 30_000): Promise<WorkerToHost> {
    const found = this.messages.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== check);
        reject(new Error(`timed out; posted so far: ${this.messages.map((m) => describe(m)).join(', ')}`));
      }, timeoutMs);
      const check = (): void => {
        const m = this.messages.find(match);
        if (!m) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        resolve(m);
      };
      this.listeners.push(check);
    });
  }

  /** The answer that ends request `id` (for train: trainFinished or failed). */
  reply(id: number, timeoutMs?: number): Promise<WorkerToHost> {
    return this.waitFor((m) => 'id' in m && m.id === id && !PROGRESS.has(m.type), timeoutMs);
  }

  /** The reply, which must be of `type` (otherwise the test fails showing what came). */
  async expect<T extends WorkerToHost['type']>(id: number, type: T, timeoutMs?: number): Promise<Msg<T>> {
    const m = await this.reply(id, timeoutMs);
    if (m.type !== type) throw new Error(`request ${id}: expected ${type}, got ${describe(m)}`);
    return m as Msg<T>;
  }

  /** Asks for dashboard view `view` of a document token (head 0.0 unless given) and returns its payload. */
  async view<N extends ViewName>(
    view: N,
    q: { documentKey: string; version: number; token: number; layer?: number; head?: number },
  ): Promise<EnginePayload<N>> {
    const r = await this.expect(this.request({ type: 'view', view, layer: 0, head: 0, ...q }), 'view');
    if (r.view !== view) throw new Error(`asked for the ${view} view, got ${r.view}`);
    return r.payload as EnginePayload<N>;
  }

  async expectFailure(id: number, code: string): Promise<Msg<'failed'>> {
    const m = await this.expect(id, 'failed');
    if (m.code !== code) throw new Error(`request ${id}: expected failure ${code}, got ${m.code}: ${m.message}`);
    return m;
  }

  of<T extends WorkerToHost['type']>(type: T, id?: number): Msg<T>[] {
    return this.messages.filter((m) => m.type === type && (id === undefined || ('id' in m && m.id === id))) as Msg<T>[];
  }
}

export function describe(m: WorkerToHost): string {
  if (m.type === 'failed') return `failed(${m.id}, ${m.code}: ${m.message})`;
  return `${m.type}(${'id' in m ? m.id : ''})`;
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'attention-lens-worker-'));
}

/** A freshly initialised (untrained) native checkpoint of `preset` with a char tokenizer of `text`. */
export function writeCheckpoint(file: string, preset: string, text: string, seed = 1): { model: Transformer; tokenizer: CharTokenizer } {
  const tokenizer = CharTokenizer.fromText(text);
  const model = Transformer.create(presetConfig(preset, tokenizer.vocabSize), new Rng(seed));
  fs.writeFileSync(file, serializeCheckpoint(model, tokenizer.toJSON(), null));
  return { model, tokenizer };
}

/**
 * For a suite about one model and one document: hooks that write a `tiny` checkpoint far from
 * initialisation (perturbed with `seed`, so attention is not uniform and values differ in size)
 * before the suite and remove it after. `ready()` is a harness that has loaded it and holds
 * `text` as document `doc`; `ids` are the text's token ids.
 */
export function perturbedTinySuite(
  seed: number,
  doc: string,
  text: string,
): { readonly model: Transformer; readonly ids: Int32Array; ready(): Promise<Harness> } {
  let dir = '';
  let ckpt = '';
  let model: Transformer | undefined;
  let ids: Int32Array = new Int32Array(0);
  before(() => {
    dir = tempDir();
    ckpt = path.join(dir, 'tiny.safetensors');
    const tokenizer = CharTokenizer.fromText(SAMPLE_TEXT);
    model = perturbedModel(presetConfig('tiny', tokenizer.vocabSize), seed);
    fs.writeFileSync(ckpt, serializeCheckpoint(model, tokenizer.toJSON(), null));
    ids = tokenizer.encode(text).ids;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return {
    get model(): Transformer {
      if (!model) throw new Error('perturbedTinySuite: the model is written in its before hook');
      return model;
    },
    get ids(): Int32Array {
      return ids;
    },
    async ready(): Promise<Harness> {
      const h = new Harness();
      h.session.start();
      await h.expect(h.request({ type: 'load', path: ckpt, tokenizerPath: null }), 'modelLoaded');
      await h.expect(h.request({ type: 'tokens', windowStride: 0, documentKey: doc, version: 1, text, ranges: [] }), 'tokens');
      return h;
    },
  };
}

export const SAMPLE_TEXT = 'the cat sat on the mat. the dog sat on the log. a bird sang in the tree; the fox ran far away. ';
