/**
 * The worker's documents under the active model: each document's text and tokens by version
 * (documents.ts) and the attention of its context windows (attentionCache.ts), kept in step —
 * an edit keeps the windows whose tokens it left alone, a closed document or a new model
 * forgets what belonged to it. Answers the host's `tokens` and `attention` requests and finds
 * the window a dashboard view is about; the session only queues and posts.
 */

import { isCausal, valueWeightedAttention } from '../engine';
import { effectiveStride, windowForQuery, windowPlan, type WindowPlan } from '../protocol/contextWindows';
import type { CallReply, CallRequest, Weighting } from '../protocol/workerProtocol';
import type { ActiveModel } from './activeModel';
import { computeWindow, queryAttention } from './attention';
import { AttentionCache, type WindowAttention } from './attentionCache';
import { DocumentStore } from './documents';
import { WorkerError } from './errors';
import { tokenSlice, tokensOverlapping, type TokenArrays } from './tokenArrays';

/** A reply and the buffers to transfer with it. */
interface Reply<M> {
  readonly message: M;
  readonly transfer: ArrayBuffer[];
}

/** The active model, or a 'no-model' failure (asked after the document's text is stored, so the text is kept either way). */
type RequireModel = () => ActiveModel;

export class DocumentWindows {
  private readonly docs = new DocumentStore();
  private readonly cache: AttentionCache;
  /** Each document's requested window stride (0: half the context), as its last `tokens` request said. */
  private readonly strides = new Map<string, number>();

  constructor(attentionCacheBytes: number) {
    this.cache = new AttentionCache(attentionCacheBytes);
  }

  /** Sets a document's text for a version and returns its tokens overlapping each requested range. */
  tokensReply(r: CallRequest<'tokens'> & { readonly id: number }, requireModel: RequireModel): Reply<CallReply<'tokens'>> {
    this.docs.setText(r.documentKey, r.version, r.text);
    this.strides.set(r.documentKey, r.windowStride);
    const m = requireModel();
    const tokens = this.documentTokens(r.documentKey, r.version, m);
    const transfer: ArrayBuffer[] = [];
    const slices = r.ranges.map((range) => {
      const [first, last] = tokensOverlapping(tokens, range.start, range.end);
      return tokenSlice(tokens, first, last, m.tokenizer, transfer);
    });
    const message = {
      type: 'tokens',
      id: r.id,
      documentKey: r.documentKey,
      version: r.version,
      tokenCount: tokens.ids.length,
      windowSize: m.model.config.contextLength,
      windowStride: effectiveStride(m.model.config.contextLength, r.windowStride),
      causal: isCausal(m.model.config),
      slices,
    } as const;
    return { message, transfer };
  }

  /** Attention of query tokens [from, to) (clamped to the first one's window), with the window's tokens. */
  attentionReply(r: CallRequest<'attention'> & { readonly id: number }, requireModel: RequireModel): Reply<CallReply<'attention'>> {
    const { m, tokens, win } = this.windowFor(r.documentKey, r.version, r.from, requireModel);
    const { nLayers: layers, nHeads: heads } = m.model.config;
    const to = Math.min(r.to, win.start + win.length);
    const weighting: Weighting = r.weighting ?? 'attention';
    const weights = weighting === 'valueWeighted' ? this.valueWeighted(win, tokens, m) : win.weights;
    const q = queryAttention(win, heads, r.from - win.start, to - win.start, weights);
    const transfer: ArrayBuffer[] = [q.rows.buffer as ArrayBuffer, q.columns.buffer as ArrayBuffer, q.scores.buffer as ArrayBuffer];
    const window = tokenSlice(tokens, win.start, win.start + win.length, m.tokenizer, transfer);
    const message = {
      type: 'attentionRows',
      id: r.id,
      documentKey: r.documentKey,
      version: r.version,
      from: r.from,
      to,
      windowStart: win.start,
      windowLength: win.length,
      window,
      layers,
      heads,
      rows: q.rows,
      columns: q.columns,
      scores: q.scores,
      weighting,
    } as const;
    return { message, transfer };
  }

  /** The held version's window that contains document token `token`, computed or from the cache. */
  windowFor(documentKey: string, version: number, token: number, requireModel: RequireModel): { m: ActiveModel; tokens: TokenArrays; win: WindowAttention } {
    this.docs.setText(documentKey, version, null); // 'stale' unless this version is held
    const m = requireModel();
    const tokens = this.documentTokens(documentKey, version, m);
    const count = tokens.ids.length;
    if (token >= count) {
      throw new WorkerError(
        'stale',
        `token ${token} is past the end of ${documentKey} version ${version}, which has ${count} tokens under the active model (were its tokens fetched before a model change?)`,
      );
    }
    const w = windowForQuery(this.plan(documentKey, count, m), token);
    let win = this.cache.get(documentKey, version, w.start, w.length);
    if (!win) {
      win = computeWindow(m.model, tokens.ids.subarray(w.start, w.start + w.length), { documentKey, version, window: w.index, start: w.start });
      this.cache.set(win);
    }
    return { m, tokens, win };
  }

  /** The sliding windows of a document of `count` tokens under the active model. */
  private plan(documentKey: string, count: number, m: ActiveModel): WindowPlan {
    return windowPlan(count, m.model.config.contextLength, this.strides.get(documentKey) ?? 0, isCausal(m.model.config));
  }

  /** The version of a document the worker holds, or null (what a comparison reads its other side from). */
  heldVersion(documentKey: string): number | null {
    return this.docs.heldVersion(documentKey);
  }

  /** The held text of a document version ('stale' for another version). */
  text(documentKey: string, version: number): string {
    return this.docs.text(documentKey, version);
  }

  /** The window's value-weighted attention, computed once (one forward that keeps the values) and cached with the window. */
  private valueWeighted(win: WindowAttention, tokens: TokenArrays, m: ActiveModel): readonly Float32Array[] {
    if (win.valueWeighted) return win.valueWeighted;
    const vw = valueWeightedAttention(m.model, tokens.ids.subarray(win.start, win.start + win.length)).weights;
    const extra = vw.reduce((n, a) => n + a.byteLength, 0);
    this.cache.set({ ...win, valueWeighted: vw, bytes: win.bytes + extra });
    return vw;
  }

  /** Forgets a closed document. */
  close(documentKey: string): void {
    this.docs.close(documentKey);
    this.strides.delete(documentKey);
    this.cache.dropDocument(documentKey);
  }

  /** A new model is active: every encoding and window belonged to the old one (texts are kept). */
  forgetModel(): void {
    this.docs.forgetEncodings();
    this.cache.clear();
  }

  /** What the worker's memory report says of documents and windows. */
  memory(): { attentionCacheBytes: number; attentionWindows: number; documents: number } {
    return { attentionCacheBytes: this.cache.bytes, attentionWindows: this.cache.size, documents: this.docs.size };
  }

  /** Tokens of the held version; attention windows whose tokens survived an edit are kept. */
  private documentTokens(documentKey: string, version: number, m: ActiveModel): TokenArrays {
    const { tokens, changed, previous } = this.docs.tokens(documentKey, version, m.tokenizer);
    if (!changed) return tokens;
    const ctx = m.model.config.contextLength;
    const count = tokens.ids.length;
    // A window is still right if its tokens are all in the unchanged prefix and its length is unchanged.
    const keep = (e: WindowAttention): boolean =>
      previous !== null && e.start + e.length <= previous.unchangedPrefix && e.length === Math.min(ctx, count - e.start);
    this.cache.carryOver(documentKey, previous?.version ?? version, version, keep);
    return tokens;
  }
}
