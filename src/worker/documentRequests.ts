/**
 * The worker's answers about documents, for the session's queue: a document's tokens and
 * attention (documentWindows.ts), the dashboard's views of a window (windowViews.ts), the
 * editor's ablation overlay and attribution highlights (debugViews.ts), and What-if
 * comparisons with another text or model (comparison.ts). Each answer is posted through
 * `send`; the model is asked for at the moment it is needed (`model` throws without one).
 */

import type { HostToWorker, WorkerToHost } from '../protocol/workerProtocol';
import type { ActiveModel } from './activeModel';
import { Comparisons, type OtherWindowSource } from './comparison';
import { ablatedWindow, attributionView } from './debugViews';
import { DocumentWindows } from './documentWindows';
import { loadForRequest, type Cancellable } from './modelLoad';
import type { PassDriver } from './passes';
import { viewReply } from './windowViews';

type Request<T extends HostToWorker['type']> = Extract<HostToWorker, { type: T }>;

export class DocumentRequests {
  private readonly windows: DocumentWindows;
  private readonly comparisons = new Comparisons();
  /** How a comparison reaches the other document's window (comparison.ts). */
  private readonly otherWindows: OtherWindowSource = {
    active: () => this.model(),
    heldVersion: (key) => this.windows.heldVersion(key),
    text: (key, version) => this.windows.text(key, version),
    window: (key, version, token) => {
      const { tokens, win } = this.windows.windowFor(key, version, token, this.model);
      return { tokens, start: win.start, length: win.length, weights: win.weights };
    },
  };

  constructor(
    attentionCacheBytes: number,
    private readonly model: () => ActiveModel,
    private readonly send: (message: WorkerToHost, transfer?: ArrayBuffer[]) => void,
  ) {
    this.windows = new DocumentWindows(attentionCacheBytes);
  }

  /** What the attention cache and the documents hold, for the `memory` report. */
  memory(): ReturnType<DocumentWindows['memory']> {
    return this.windows.memory();
  }

  /** Another model is active: every encoding and attention window belongs to the old one. */
  forgetModel(): void {
    this.windows.forgetModel();
  }

  tokens(r: Request<'tokens'>): void {
    const { message, transfer } = this.windows.tokensReply(r, this.model);
    this.send(message, transfer);
  }

  attention(r: Request<'attention'>): void {
    const { message, transfer } = this.windows.attentionReply(r, this.model);
    this.send(message, transfer);
  }

  async view(r: Request<'view'>, passes: PassDriver): Promise<void> {
    const { m, tokens, win } = this.windows.windowFor(r.documentKey, r.version, r.token, this.model);
    const other = r.view === 'compare' ? this.comparisons.otherSide(r.documentKey, r.version, tokens, win.start, win.length, this.otherWindows) : null;
    const { message, transfer } = await viewReply(r, m, tokens, win, passes, other);
    this.send(message, transfer);
  }

  ablate(r: Request<'ablate'>): void {
    const { m, tokens, win } = this.windows.windowFor(r.documentKey, r.version, r.token, this.model);
    const place = { documentKey: r.documentKey, version: r.version, windowStart: win.start, windowLength: win.length };
    const a = ablatedWindow(m, tokens.ids.subarray(win.start, win.start + win.length), place, r);
    this.send({ type: 'ablated', id: r.id, ...a }, [a.surprisalBefore.buffer as ArrayBuffer, a.surprisalAfter.buffer as ArrayBuffer]);
  }

  async attribute(r: Request<'attribute'>, passes: PassDriver): Promise<void> {
    const { m, tokens, win } = this.windows.windowFor(r.documentKey, r.version, r.token, this.model);
    const place = { documentKey: r.documentKey, version: r.version, windowStart: win.start, windowLength: win.length };
    const ids = tokens.ids.subarray(win.start, win.start + win.length);
    const payload = await attributionView(m, ids, place, r.token - win.start, passes, r.method);
    this.send({ type: 'attributed', id: r.id, payload }, [payload.attributions.buffer as ArrayBuffer]);
  }

  /** Sets (or clears) what a document is compared with; a second model's read reports its progress and stops when `p` is cancelled. */
  async compare(r: Request<'compare'>, p: Cancellable, disposed: () => boolean): Promise<void> {
    const label = await this.comparisons.setFor(r, this.model, (path, tokenizerPath) =>
      loadForRequest({ id: r.id, path, tokenizerPath }, p, (m) => this.send(m), disposed, 'nothing is compared'),
    );
    this.send({ type: 'compareSet', id: r.id, documentKey: r.documentKey, label });
  }

  close(r: Request<'closeDocument'>): void {
    this.comparisons.forgetDocument(r.documentKey);
    this.windows.close(r.documentKey);
    this.send({ type: 'closed', id: r.id });
  }
}
