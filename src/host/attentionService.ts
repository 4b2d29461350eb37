/**
 * Attention for documents, as the host needs it: keeps each open document's text in step
 * with the worker (sent once per version), knows which tokens are where, and fetches
 * attention rows for a query token, with a small cache so moving the cursor back and forth
 * or hovering costs no round trip. Results for an older document version are dropped.
 */

import * as vscode from 'vscode';
import type { AttributionView, TokenSurprisal } from '../protocol/dashboardViews';
import type { AblatedWindow, CallReply, CharRange, HeadAddress, PassProgress, Weighting } from '../protocol/workerProtocol';
import { onDidChangeSettings, readSettings } from './config';
import { documentLength } from './documentText';
import { DocumentTokens } from './documentTokens';
import type { EngineClient } from './engineClient';

/** The worker's answer to an `attention` request. */
export type AttentionRows = CallReply<'attention'>;

/** Characters of context fetched around what is visible, so small scrolls need no request. */
const RANGE_MARGIN = 2000;
const CACHE_ENTRIES = 128;
/** Windows of surprisal kept: a screenful spans one or two. */
const SURPRISAL_WINDOWS = 16;

export class AttentionService implements vscode.Disposable {
  private readonly tokens = new Map<string, DocumentTokens>();
  /** Document versions whose text the worker holds. */
  private readonly sent = new Map<string, number>();
  private readonly cache = new Map<string, AttentionRows>();
  /** Surprisal of whole windows, by document version and window start (the overlay and the hover share them). */
  private readonly surprisals = new Map<string, TokenSurprisal>();
  /** Windows with heads ablated, by document version, window start, heads and mode (the ablation overlay and the hover). */
  private readonly ablations = new Map<string, AblatedWindow>();
  /** Attributions of a query's prediction, by document version, token and method (the attribution highlights). */
  private readonly attributions = new Map<string, AttributionView>();
  private readonly subscriptions: vscode.Disposable[] = [];
  /** attentionLens.attention.windowStride: where the windows start changes every window. */
  private windowStride = readSettings().attention.windowStride;

  constructor(private readonly client: EngineClient) {
    this.subscriptions.push(
      // A document of the same name may be open again already (a closed Untitled-1 and a new one):
      // then the worker must keep the text, which is the new document's or is replaced by it.
      vscode.workspace.onDidCloseTextDocument((doc) => {
        const key = doc.uri.toString();
        this.forget(key, !vscode.workspace.textDocuments.some((d) => !d.isClosed && d.uri.toString() === key));
      }),
      client.onDidRestart(() => this.reset()),
      onDidChangeSettings((s) => {
        if (s.attention.windowStride === this.windowStride) return;
        this.windowStride = s.attention.windowStride;
        this.reset(); // the next tokens request tells the worker the new stride
      }),
    );
  }

  /** Everything cached belongs to the previous model (or worker): drop it. */
  reset(): void {
    this.tokens.clear();
    this.sent.clear();
    this.cache.clear();
    this.surprisals.clear();
    this.ablations.clear();
    this.attributions.clear();
  }

  /**
   * The worker answered `stale` about the version the document is at: it no longer holds that
   * text (a same-named document was closed after it was sent). The next request sends it again.
   */
  lostText(doc: vscode.TextDocument): void {
    this.forget(doc.uri.toString(), false);
  }

  private forget(key: string, tellWorker: boolean): void {
    this.tokens.delete(key);
    this.sent.delete(key);
    for (const k of [...this.cache.keys()]) if (k.startsWith(`${key}@`)) this.cache.delete(k);
    for (const k of [...this.surprisals.keys()]) if (k.startsWith(`${key}@`)) this.surprisals.delete(k);
    for (const k of [...this.ablations.keys()]) if (k.startsWith(`${key}@`)) this.ablations.delete(k);
    for (const k of [...this.attributions.keys()]) if (k.startsWith(`${key}@`)) this.attributions.delete(k);
    if (tellWorker) void this.client.call({ type: 'closeDocument', documentKey: key }).catch(() => undefined);
  }

  /** Tokens of `doc` covering `ranges` (UTF-16 offsets); null if the document changed meanwhile. */
  async tokensFor(doc: vscode.TextDocument, ranges: readonly CharRange[]): Promise<DocumentTokens | null> {
    const key = doc.uri.toString();
    const version = doc.version;
    const held = this.tokens.get(key);
    if (held && held.version === version && held.covers(ranges)) return held;
    const textLength = documentLength(doc);
    const wanted = ranges.map((r) => ({ start: Math.max(0, r.start - RANGE_MARGIN), end: Math.min(textLength, r.end + RANGE_MARGIN) }));
    const needText = this.sent.get(key) !== version;
    const reply = await this.client.call({
      type: 'tokens',
      documentKey: key,
      version,
      text: needText ? doc.getText() : null,
      ranges: wanted,
      windowStride: this.windowStride,
    });
    this.sent.set(key, reply.version);
    if (reply.version !== doc.version) return null;
    let table = this.tokens.get(key);
    if (!table || table.version !== reply.version) {
      for (const k of [...this.cache.keys()]) if (k.startsWith(`${key}@`)) this.cache.delete(k);
      table = new DocumentTokens(key, reply.version, reply.tokenCount, reply.windowSize, reply.windowStride, reply.causal);
      this.tokens.set(key, table);
    }
    table.add(reply.slices);
    return table;
  }

  /** Attention for query tokens [from, to) of a document version (α, or ‖α·v‖); null when the version moved on. */
  async attention(doc: vscode.TextDocument, version: number, from: number, to: number, weighting: Weighting = 'attention'): Promise<AttentionRows | null> {
    const key = doc.uri.toString();
    const cacheKey = `${key}@${version}:${from}-${to}${weighting === 'attention' ? '' : `:${weighting}`}`;
    const hit = this.cache.get(cacheKey);
    if (hit) {
      this.cache.delete(cacheKey); // refresh its LRU position
      this.cache.set(cacheKey, hit);
      return hit;
    }
    if (version !== doc.version) return null; // typed past it: nobody will read the answer
    const reply = await this.client.call({ type: 'attention', documentKey: key, version, from, to, weighting });
    if (reply.version !== doc.version) return null;
    this.cache.set(cacheKey, reply);
    while (this.cache.size > CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    return reply;
  }

  /**
   * Surprisal and next-token predictions of every token in the context window that document token
   * `token` is read in (the worker's `surprisal` view); null when the version moved on.
   */
  async surprisal(doc: vscode.TextDocument, version: number, token: number): Promise<TokenSurprisal | null> {
    const key = doc.uri.toString();
    const table = this.tokens.get(key);
    const start = table && table.version === version ? table.windowOf(token).start : -1;
    const hit = this.surprisals.get(`${key}@${version}#${start}`);
    if (hit) return hit;
    if (version !== doc.version) return null;
    const reply = await this.client.call({ type: 'view', view: 'surprisal', documentKey: key, version, token, layer: 0, head: 0 });
    if (reply.view !== 'surprisal' || reply.payload.version !== doc.version) return null;
    this.surprisals.set(`${key}@${version}#${reply.payload.windowStart}`, reply.payload);
    while (this.surprisals.size > SURPRISAL_WINDOWS) this.surprisals.delete(this.surprisals.keys().next().value!);
    return reply.payload;
  }

  /**
   * The context window holding document token `token` with `heads` switched off together
   * (cached: the overlay redraws on every scroll, the hover reads it); null when the version moved on.
   */
  async ablated(doc: vscode.TextDocument, version: number, token: number, heads: readonly HeadAddress[], mode: 'zero' | 'mean'): Promise<AblatedWindow | null> {
    const key = doc.uri.toString();
    const table = this.tokens.get(key);
    const start = table && table.version === version ? table.windowOf(token).start : -1;
    const what = `${mode}:${heads.map((h) => `${h.layer}.${h.head}`).join(',')}`;
    const hit = this.ablations.get(`${key}@${version}#${start}|${what}`);
    if (hit && token >= hit.windowStart && token < hit.windowStart + hit.windowLength) return hit;
    const reply = await this.client.call({ type: 'ablate', documentKey: key, version, token, heads, mode });
    if (reply.version !== doc.version) return null;
    this.ablations.set(`${key}@${version}#${reply.windowStart}|${what}`, reply);
    while (this.ablations.size > SURPRISAL_WINDOWS) this.ablations.delete(this.ablations.keys().next().value!);
    return reply;
  }

  /** The held ablation of the window holding `token`, without asking the worker (for the hover). */
  heldAblation(doc: vscode.TextDocument, token: number, heads: readonly HeadAddress[], mode: 'zero' | 'mean'): AblatedWindow | undefined {
    const what = `${mode}:${heads.map((h) => `${h.layer}.${h.head}`).join(',')}`;
    for (const [k, a] of this.ablations)
      if (k.startsWith(`${doc.uri.toString()}@${doc.version}#`) && k.endsWith(`|${what}`) && token >= a.windowStart && token < a.windowStart + a.windowLength)
        return a;
    return undefined;
  }

  /**
   * Attribution of the prediction at document token `token` (integrated gradients or gradient ×
   * input), cached; `cancel` withdraws it (the worker stops before its next pass). The reply is
   * null when the version moved on.
   */
  attribution(
    doc: vscode.TextDocument,
    version: number,
    token: number,
    method: 'ig' | 'grad',
    onProgress?: (p: PassProgress) => void,
  ): { readonly reply: Promise<AttributionView | null>; cancel(): void } {
    const key = doc.uri.toString();
    const cacheKey = `${key}@${version}#${token}:${method}`;
    const hit = this.attributions.get(cacheKey);
    if (hit) return { reply: Promise.resolve(hit), cancel: () => undefined };
    const { id, reply } = this.client.send({ type: 'attribute', documentKey: key, version, token, method }, onProgress);
    return {
      reply: reply.then((r) => {
        if (r.payload.version !== doc.version) return null;
        this.attributions.set(cacheKey, r.payload);
        while (this.attributions.size > CACHE_ENTRIES) this.attributions.delete(this.attributions.keys().next().value!);
        return r.payload;
      }),
      cancel: () => this.client.cancel(id),
    };
  }

  /** The cached attention for a query, without asking the worker (for synchronous views). */
  cached(doc: vscode.TextDocument, from: number, to: number): AttentionRows | undefined {
    return this.cache.get(`${doc.uri.toString()}@${doc.version}:${from}-${to}`);
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
  }
}
