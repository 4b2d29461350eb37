/**
 * Feeds the dashboard's engine-computed views of the current window: the full attention
 * matrix (one `attentionMatrix` request per window, then every head's matrix and the
 * layers × heads grid cut from it), the head statistics (per window), the rollout of the
 * query token (per query) and the selected head's q/k/v (per query and head). Each view is
 * asked for once per thing it depends on; a request that no longer fits what the panel shows
 * is cancelled, and its reply, if it comes anyway, is dropped. Failures that only mean the
 * user moved on ('stale', 'cancelled', 'no-model') are quiet; others are logged and the view
 * told why it has nothing (`matrixUnavailable`, or `viewUnavailable` for the others; see
 * DashboardFeed.failed). The engine, the poster and
 * the log are injected, so this stays free of VS Code and is unit-tested with fakes.
 */

import type { HostToWebview, HeadStats, RolloutRow, UnavailableView, WhyDetail, WindowRef } from '../protocol/webviewProtocol';
import type { HostToWorker, WorkerReply } from '../protocol/workerProtocol';
import { sameWindow, toHeadStats, toRolloutRow, toWhyDetail, windowOf } from './dashboardPayloads';
import { checkMatrixSize, MatrixAssembly, MatrixTooLargeError } from './matrixAssembly';

export type ViewKind = 'attentionMatrix' | 'headStats' | 'rollout' | 'headVectors';
type WithoutId<M> = M extends unknown ? Omit<M, 'id'> : never;
export type ViewRequest<K extends ViewKind = ViewKind> = WithoutId<Extract<HostToWorker, { type: K }>>;
export type ViewReply<K extends ViewKind = ViewKind> = Extract<WorkerReply, { type: K }>;

export interface ViewEngine {
  /** Sends one request; `cancel` withdraws it (the reply then fails with 'cancelled', or comes anyway if it was running). */
  request<K extends ViewKind>(message: ViewRequest<K>, expected: K): { readonly reply: Promise<ViewReply<K>>; cancel(): void };
}

export interface FeedLog {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

/** What the panel shows: the editor's query (QueryAttention fits) in its window. */
export interface FeedQuery extends WindowRef {
  /** The first query token (document index): rollout and "why" are about it. */
  readonly from: number;
  readonly layers: number;
  readonly heads: number;
}

export interface LayerHead {
  readonly layer: number;
  readonly head: number;
}

/** Engine failure codes that mean "the question went away", not "something is wrong". */
export const QUIET_FAILURES: ReadonlySet<string> = new Set(['stale', 'cancelled', 'no-model']);

/** Whether a rejection (an EngineError or anything with a `code`) is one of QUIET_FAILURES. */
export function isQuietFailure(e: unknown): boolean {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' && QUIET_FAILURES.has(code);
}

const VIEW_NAMES: Record<ViewKind, string> = { attentionMatrix: 'attention matrix', headStats: 'head statistics', rollout: 'rollout', headVectors: 'q/k/v vectors' };

/** The page's view told about a failed request of each kind (the matrix has its own message). */
const UNAVAILABLE_VIEWS: Record<Exclude<ViewKind, 'attentionMatrix'>, UnavailableView> = { headStats: 'headStats', rollout: 'rollout', headVectors: 'why' };

/** One view's request and result; `key` names what it is for (null: nothing). */
class Slot<T> {
  key: string | null = null;
  /**
   * The request whose reply the slot waits for. Compared by identity, not by key: after a model
   * change the same window is asked for again, and the old model's late reply must not pass.
   */
  ticket: object | null = null;
  value: T | null = null;
  /** Why the current request failed (not quietly), and the window it was about: replayed to a reloaded page. */
  failure: { readonly window: WindowRef; readonly reason: string } | null = null;
  cancel: (() => void) | null = null;
}

function windowKey(w: WindowRef): string {
  return `${w.documentKey}@${w.version}[${w.windowStart}+${w.windowLength}]`;
}

function placeOf(w: WindowRef): string {
  return `${w.documentKey} version ${w.version}, tokens ${w.windowStart}..${w.windowStart + w.windowLength - 1}`;
}

export class DashboardFeed {
  private readonly matrix = new Slot<MatrixAssembly>();
  private readonly stats = new Slot<HeadStats>();
  private readonly rollout = new Slot<RolloutRow>();
  private readonly why = new Slot<WhyDetail>();
  private selection: LayerHead = { layer: 0, head: 0 };
  private disposed = false;

  constructor(private readonly engine: ViewEngine, private readonly post: (m: HostToWebview) => void, private readonly log: FeedLog) {}

  /**
   * Follows what the panel shows (call it on every query or selection change): asks for each
   * view whose window, query token or head changed, and re-cuts the selected head's matrix from
   * the one already held.
   */
  show(query: FeedQuery | null, selection: LayerHead): void {
    if (this.disposed) return;
    const layer = query ? clamp(selection.layer, query.layers) : selection.layer;
    const head = query ? clamp(selection.head, query.heads) : selection.head;
    const moved = layer !== this.selection.layer || head !== this.selection.head;
    this.selection = { layer, head };
    if (!query) {
      for (const slot of this.slots()) this.retarget(slot, null);
      return;
    }
    const win = windowOf(query);
    const wk = windowKey(win);
    const at = { documentKey: win.documentKey, version: win.version, token: query.from };
    const local = query.from - win.windowStart;
    if (this.retarget(this.matrix, wk)) this.loadMatrix(wk, win, query);
    else if (moved && this.matrix.value) this.post({ type: 'matrix', matrix: this.matrix.value.headMatrix(layer, head) });
    if (this.retarget(this.stats, wk)) {
      this.fetch(this.stats, 'headStats', wk, win, { type: 'headStats', ...at }, (r) => toHeadStats(r), (s) => this.post({ type: 'headStats', stats: s }));
    }
    const qk = `${wk}#${query.from}`;
    if (this.retarget(this.rollout, qk)) {
      this.fetch(this.rollout, 'rollout', qk, win, { type: 'rollout', ...at }, (r) => (r.query === local ? toRolloutRow(r) : null), (r) => this.post({ type: 'rollout', rollout: r }));
    }
    const hk = `${qk}@${layer}.${head}`;
    if (this.retarget(this.why, hk)) {
      const fits = (r: ViewReply<'headVectors'>): boolean => r.query === local && r.layer === layer && r.head === head;
      this.fetch(this.why, 'headVectors', hk, win, { type: 'headVectors', ...at, layer, head }, (r) => (fits(r) ? toWhyDetail(r) : null), (d) => this.post({ type: 'why', detail: d }));
    }
  }

  /** Posts everything held (after the page's `init`: a reloaded page starts empty). */
  replay(): void {
    if (this.disposed) return;
    const m = this.matrix.value;
    if (m) {
      this.post({ type: 'matrix', matrix: m.headMatrix(this.selection.layer, this.selection.head) });
      this.post({ type: 'grid', grid: m.grid() });
    } else if (this.matrix.failure) {
      this.postFailure('attentionMatrix', this.matrix.failure.window, this.matrix.failure.reason);
    }
    if (this.stats.value) this.post({ type: 'headStats', stats: this.stats.value });
    else if (this.stats.failure) this.postFailure('headStats', this.stats.failure.window, this.stats.failure.reason);
    if (this.rollout.value) this.post({ type: 'rollout', rollout: this.rollout.value });
    else if (this.rollout.failure) this.postFailure('rollout', this.rollout.failure.window, this.rollout.failure.reason);
    if (this.why.value) this.post({ type: 'why', detail: this.why.value });
    else if (this.why.failure) this.postFailure('headVectors', this.why.failure.window, this.why.failure.reason);
  }

  /** Forgets everything (the model changed: nothing held is about it). */
  reset(): void {
    for (const slot of this.slots()) this.retarget(slot, null);
  }

  dispose(): void {
    this.reset();
    this.disposed = true;
  }

  /** The whole [L, H, W, W] pattern of the current window, if it is here (for tests). */
  get assembly(): MatrixAssembly | null {
    return this.matrix.value;
  }

  private loadMatrix(key: string, win: WindowRef, query: FeedQuery): void {
    try {
      checkMatrixSize(query.layers, query.heads, win.windowLength);
    } catch (e) {
      this.failed(this.matrix, 'attentionMatrix', win, e);
      return;
    }
    this.fetch(
      this.matrix,
      'attentionMatrix',
      key,
      win,
      { type: 'attentionMatrix', documentKey: win.documentKey, version: win.version, token: query.from },
      (r) => new MatrixAssembly(windowOf(r), r.layers, r.heads, r.weights),
      (m) => {
        this.post({ type: 'matrix', matrix: m.headMatrix(this.selection.layer, this.selection.head) });
        this.post({ type: 'grid', grid: m.grid() });
      },
    );
  }

  private slots(): Slot<unknown>[] {
    return [this.matrix, this.stats, this.rollout, this.why];
  }

  /** Points a slot at `key`; true when that is new and not null (the caller then asks for it). */
  private retarget(slot: Slot<unknown>, key: string | null): boolean {
    if (slot.key === key) return false;
    slot.cancel?.();
    slot.cancel = null;
    slot.ticket = null;
    slot.key = key;
    slot.value = null;
    slot.failure = null;
    return key !== null;
  }

  /**
   * Asks for one view. The reply is used only while the slot still waits for this request and
   * the reply is about `win`; `convert` returns null for a reply about something else (dropped).
   */
  private fetch<K extends ViewKind, T>(slot: Slot<T>, kind: K, key: string, win: WindowRef, message: ViewRequest<K>, convert: (r: ViewReply<K>) => T | null, use: (v: T) => void): void {
    const ticket = {};
    const { reply, cancel } = this.engine.request(message, kind);
    slot.ticket = ticket;
    slot.cancel = cancel;
    const current = (): boolean => slot.ticket === ticket && !this.disposed;
    reply.then(
      (r) => {
        if (!current()) return; // the panel moved on while it was computed
        slot.ticket = null;
        slot.cancel = null;
        let value: T | null = null;
        try {
          value = sameWindow(r, win) ? convert(r) : null;
        } catch (e) {
          this.failed(slot, kind, win, e);
          return;
        }
        if (value === null) {
          this.log.debug(`dashboard: dropped a ${VIEW_NAMES[kind]} reply that is not about ${placeOf(win)} (query ${key})`);
          return;
        }
        slot.value = value;
        use(value);
      },
      (e: unknown) => {
        if (!current()) return;
        slot.ticket = null;
        slot.cancel = null;
        this.failed(slot, kind, win, e);
      },
    );
  }

  /**
   * Quiet failures are logged at debug and leave the view waiting for the next query; others
   * are logged and the view is told the reason (`matrixUnavailable` for the matrix,
   * `viewUnavailable` for head stats, rollout and "why"), so it stops saying it is computing.
   */
  private failed(slot: Slot<unknown>, kind: ViewKind, win: WindowRef, e: unknown): void {
    const reason = e instanceof Error ? e.message : String(e);
    const what = `dashboard: no ${VIEW_NAMES[kind]} for ${placeOf(win)}: ${reason}`;
    if (isQuietFailure(e)) {
      this.log.debug(what);
      return;
    }
    if (e instanceof MatrixTooLargeError) this.log.info(what);
    else this.log.warn(what);
    slot.failure = { window: win, reason };
    this.postFailure(kind, win, reason);
  }

  private postFailure(kind: ViewKind, win: WindowRef, reason: string): void {
    if (kind === 'attentionMatrix') this.post({ type: 'matrixUnavailable', window: win, reason });
    else this.post({ type: 'viewUnavailable', view: UNAVAILABLE_VIEWS[kind], window: win, reason });
  }
}

function clamp(i: number, n: number): number {
  return Math.min(Math.max(0, Math.floor(i)), Math.max(0, n - 1));
}
