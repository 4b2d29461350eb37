/**
 * Feeds the dashboard's engine-computed views (protocol/dashboardViews.ts) for what the panel
 * shows: for every view, one `view` request per change of what that view depends on (its
 * scope: the window, the query token, the selected head), its reply checked and held
 * (viewSpecs.ts), and what the page draws posted now and replayed to a reloaded page. A request
 * that no longer fits what the panel shows is cancelled, and its reply, if it comes anyway, is
 * dropped. Failures that only mean the user moved on ('stale', 'cancelled', 'no-model') are
 * quiet; others are logged and the page's view is told why it has nothing (`viewUnavailable`).
 *
 * The engine, the poster and the log are injected: no VS Code here, unit-tested with fakes.
 */

import { isQuietFailure, type WindowRef } from '../../protocol/common';
import {
  DETECTOR_VIEWS,
  ON_DEMAND_VIEWS,
  payloadFits,
  sameWindow,
  VIEW_NAMES,
  VIEW_SCOPES,
  windowOf,
  type EnginePayload,
  type PagePayload,
  type ViewName,
  type ViewScope,
} from '../../protocol/dashboardViews';
import { detectorKey, type CustomDetector } from '../../protocol/headRules';
import type { HostToWebview } from '../../protocol/webviewProtocol';
import type { CallRequest, PassProgress, ViewReply } from '../../protocol/workerProtocol';
import { VIEW_SPECS, type Held, type LayerHead } from './viewSpecs';

export type { LayerHead } from './viewSpecs';

export interface ViewEngine {
  /**
   * Sends one view request; `cancel` withdraws it (the reply then fails with 'cancelled'; a long
   * analysis stops before its next pass). `onProgress` hears how far a long one is.
   */
  request(message: CallRequest<'view'>, onProgress?: (p: PassProgress) => void): { readonly reply: Promise<ViewReply>; cancel(): void };
}

export interface FeedLog {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

/** What the panel shows: the editor's query (QueryAttention fits) in its window. */
export interface FeedQuery extends WindowRef {
  /** The first query token (document index): the views are about it. */
  readonly from: number;
  readonly layers: number;
  readonly heads: number;
}

/** One view's request and result; `key` names the question it is for (null: none). */
class Slot {
  key: string | null = null;
  /**
   * The request whose reply the slot waits for. Compared by identity, not by key: after a model
   * change the same window is asked for again, and the old model's late reply must not pass.
   */
  ticket: object | null = null;
  held: unknown = null;
  /** Why the current request failed (not quietly), and the window it was about: replayed to a reloaded page. */
  failure: { readonly window: WindowRef; readonly reason: string } | null = null;
  cancel: (() => void) | null = null;
}

function windowKey(w: WindowRef): string {
  return `${w.documentKey}@${w.version}[${w.windowStart}+${w.windowLength}]`;
}

/** The part of the question a view of this scope depends on. */
function questionKey(scope: ViewScope, win: WindowRef, token: number, { layer, head }: LayerHead): string {
  const wk = windowKey(win);
  if (scope === 'window') return wk;
  return scope === 'query' ? `${wk}#${token}` : `${wk}#${token}@${layer}.${head}`;
}

function placeOf(w: WindowRef): string {
  return `${w.documentKey} version ${w.version}, tokens ${w.windowStart}..${w.windowStart + w.windowLength - 1}`;
}

/** The one place a view's page message is built (the compiler cannot pair a generic name with its payload). */
function viewMessage<N extends ViewName>(view: N, payload: PagePayload<N>): HostToWebview {
  return { type: 'view', view, payload } as HostToWebview;
}

export class DashboardFeed {
  private readonly slots = new Map<ViewName, Slot>(VIEW_NAMES.map((n) => [n, new Slot()]));
  private selection: LayerHead = { layer: 0, head: 0 };
  /** The question shown now (on-demand views are asked about it). */
  private query: FeedQuery | null = null;
  /** The page's custom head detector (DETECTOR_VIEWS are asked for only while there is one). */
  private detector: CustomDetector | null = null;
  private disposed = false;

  constructor(
    private readonly engine: ViewEngine,
    private readonly post: (m: HostToWebview) => void,
    private readonly log: FeedLog,
  ) {}

  /**
   * Follows what the panel shows (call it on every query or selection change): asks for each
   * view whose question changed, and re-presents held views that follow the selected head.
   */
  show(query: FeedQuery | null, selection: LayerHead): void {
    if (this.disposed) return;
    const layer = query ? clamp(selection.layer, query.layers) : selection.layer;
    const head = query ? clamp(selection.head, query.heads) : selection.head;
    const moved = layer !== this.selection.layer || head !== this.selection.head;
    this.selection = { layer, head };
    this.query = query;
    for (const name of VIEW_NAMES) {
      const slot = this.slot(name);
      if (!query) {
        this.retarget(slot, null);
        continue;
      }
      const win = windowOf(query);
      const key = questionKey(VIEW_SCOPES[name], win, query.from, this.selection);
      const asked = this.retarget(slot, DETECTOR_VIEWS.has(name) ? (this.detector ? `${key}|${detectorKey(this.detector)}` : null) : key);
      if (asked && !ON_DEMAND_VIEWS.has(name)) this.ask(name, slot, win, query);
      else if (moved && slot.held !== null && VIEW_SPECS[name].followsSelection) this.present(name, slot.held as Held<typeof name>);
    }
  }

  /**
   * Asks for an on-demand view (ON_DEMAND_VIEWS) about the question shown now, unless it is
   * held or on its way; after a failure it asks again.
   */
  compute(name: ViewName): void {
    const query = this.query;
    if (this.disposed || !query || !ON_DEMAND_VIEWS.has(name)) return;
    const slot = this.slot(name);
    if (slot.held !== null || slot.ticket !== null) return;
    slot.failure = null;
    this.ask(name, slot, windowOf(query), query);
  }

  /** Asks again for view `name` about the question shown now: its answer changed without the question (a comparison was set). */
  refresh(name: ViewName): void {
    if (this.disposed) return;
    this.retarget(this.slot(name), null);
    this.show(this.query, this.selection);
  }

  /** Scores heads with this detector from now on (null: stop); asks again only when it differs from the one in use. */
  setDetector(detector: CustomDetector | null): void {
    if (this.disposed || (detector && this.detector ? detectorKey(detector) === detectorKey(this.detector) : detector === this.detector)) return;
    this.detector = detector;
    for (const name of DETECTOR_VIEWS) this.refresh(name);
  }

  /**
   * Stops computing an on-demand view: its request is withdrawn and the page is told it was
   * cancelled (it offers to ask again; compute() then starts over).
   */
  cancel(name: ViewName): void {
    const query = this.query;
    if (this.disposed || !query || !ON_DEMAND_VIEWS.has(name)) return;
    const slot = this.slot(name);
    if (slot.ticket === null) return;
    slot.cancel?.();
    slot.cancel = null;
    slot.ticket = null;
    const win = windowOf(query);
    slot.failure = { window: win, reason: 'cancelled' };
    this.log.info(`dashboard: ${VIEW_SPECS[name].title} cancelled for ${placeOf(win)}`);
    this.post({ type: 'viewUnavailable', view: name, window: win, reason: 'cancelled' });
  }

  /** Posts everything held, or why it is not (after the page's `init`: a reloaded page starts empty). */
  replay(): void {
    if (this.disposed) return;
    for (const name of VIEW_NAMES) {
      const slot = this.slot(name);
      if (slot.held !== null) this.present(name, slot.held as Held<typeof name>);
      else if (slot.failure) this.post({ type: 'viewUnavailable', view: name, window: slot.failure.window, reason: slot.failure.reason });
    }
  }

  /** Forgets everything (the model changed: nothing held is about it). */
  reset(): void {
    this.query = null;
    for (const slot of this.slots.values()) this.retarget(slot, null);
  }

  dispose(): void {
    this.reset();
    this.disposed = true;
  }

  /** What is held of view `name` for the current question, if it came (for tests). */
  held<N extends ViewName>(name: N): Held<N> | null {
    return this.slot(name).held as Held<N> | null;
  }

  private slot(name: ViewName): Slot {
    const slot = this.slots.get(name);
    if (!slot) throw new Error(`no slot for dashboard view ${name}`);
    return slot;
  }

  private present<N extends ViewName>(name: N, held: Held<N>): void {
    this.post(viewMessage(name, VIEW_SPECS[name].present(held, this.selection)));
  }

  /** Points a slot at `key`; true when that is new and not null (the caller then asks for it). */
  private retarget(slot: Slot, key: string | null): boolean {
    if (slot.key === key) return false;
    slot.cancel?.();
    slot.cancel = null;
    slot.ticket = null;
    slot.key = key;
    slot.held = null;
    slot.failure = null;
    return key !== null;
  }

  /**
   * Asks the engine for one view. The reply is used only while the slot still waits for this
   * request and the payload answers the question asked (same window, query and head).
   */
  private ask<N extends ViewName>(name: N, slot: Slot, win: WindowRef, query: FeedQuery): void {
    const spec = VIEW_SPECS[name];
    const { layer, head } = this.selection;
    try {
      spec.precheck?.(query.layers, query.heads, win.windowLength);
    } catch (e) {
      this.failed(name, slot, win, e, 'info');
      return;
    }
    const ticket = {};
    const current = (): boolean => slot.ticket === ticket && !this.disposed;
    const { reply, cancel } = this.engine.request(
      {
        type: 'view',
        view: name,
        documentKey: win.documentKey,
        version: win.version,
        token: query.from,
        layer,
        head,
        ...(DETECTOR_VIEWS.has(name) && this.detector ? { detector: this.detector } : {}),
      },
      (p) => {
        if (current()) this.post({ type: 'viewProgress', view: name, window: win, done: p.done, total: p.total });
      },
    );
    slot.ticket = ticket;
    slot.cancel = cancel;
    const local = query.from - win.windowStart;
    reply.then(
      (r) => {
        if (!current()) return; // the panel moved on while it was computed
        slot.ticket = null;
        slot.cancel = null;
        if (r.view !== name || !sameWindow(r.payload, win) || !payloadFits(name, r.payload, local, layer, head) || !this.sameDetector(r)) {
          this.log.debug(`dashboard: dropped a ${r.view} reply that is not about ${placeOf(win)} (query ${query.from}, head ${layer}.${head})`);
          return;
        }
        let held: Held<N>;
        try {
          held = spec.hold(r.payload as EnginePayload<N>);
        } catch (e) {
          this.failed(name, slot, win, e, 'warn');
          return;
        }
        slot.held = held;
        this.present(name, held);
      },
      (e: unknown) => {
        if (!current()) return;
        slot.ticket = null;
        slot.cancel = null;
        this.failed(name, slot, win, e, 'warn');
      },
    );
  }

  /** A custom-detector reply was computed for the detector in use (other views: always true). */
  private sameDetector(r: ViewReply): boolean {
    if (r.view !== 'customHeads') return true;
    return this.detector !== null && detectorKey(r.payload.detector) === detectorKey(this.detector);
  }

  /**
   * Quiet failures are logged at debug and leave the view waiting for the next question; others
   * are logged and the page's view is told the reason, so it stops saying it is computing.
   */
  private failed(name: ViewName, slot: Slot, win: WindowRef, e: unknown, level: 'info' | 'warn'): void {
    const reason = e instanceof Error ? e.message : String(e);
    const what = `dashboard: no ${VIEW_SPECS[name].title} for ${placeOf(win)}: ${reason}`;
    if (isQuietFailure(e)) {
      this.log.debug(what);
      return;
    }
    this.log[level](what);
    slot.failure = { window: win, reason };
    this.post({ type: 'viewUnavailable', view: name, window: win, reason });
  }
}

function clamp(i: number, n: number): number {
  return Math.min(Math.max(0, Math.floor(i)), Math.max(0, n - 1));
}
