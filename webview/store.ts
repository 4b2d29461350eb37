/**
 * Everything the page knows, updated by host messages. apply() mutates and says which parts
 * changed; the page redraws those parts once per animation frame, so a burst of training
 * steps or cursor moves costs one draw. The engine-fed views (protocol/dashboardViews.ts) are
 * held generically, by name: a view's payload, and the reason it has none (`viewUnavailable`),
 * are forgotten when the part of the question it depends on (its scope: window, query token,
 * selected head) changes, and a new payload clears the reason. On-demand views (computed only
 * when the page asks) also remember that the page asked for the current question, so they show
 * "Computing…" rather than their button; that too is forgotten with the question.
 */

import { ColumnStore, EVAL_KEYS, STEP_KEYS } from '../src/presentation/metricColumns';
import { assertNever, type ModelInfo, type WindowRef } from '../src/protocol/common';
import type { KeptRun } from '../src/protocol/runs';
import { addSnapshot, type RunSnapshots } from '../src/protocol/snapshots';
import { sameWindow, VIEW_NAMES, VIEW_SCOPES, type PagePayload, type ViewName, type ViewScope } from '../src/protocol/dashboardViews';
import type { Aggregation, Direction } from '../src/protocol/settings';
import { t } from './l10n';
import {
  DEFAULT_UI_STATE,
  WEBVIEW_PROTOCOL_VERSION,
  type DashboardUiState,
  type EvalColumns,
  type HostToWebview,
  type QueryAttention,
  type RunInfo,
  type StepColumns,
} from '../src/protocol/webviewProtocol';

/** What a host message can change; the page redraws the components routed from each (app.ts). */
export type Part = ViewName | 'run' | 'model' | 'selection' | 'attention' | 'ui' | 'banner' | 'snapshots';

type Handlers = { readonly [T in HostToWebview['type']]: (m: Extract<HostToWebview, { type: T }>) => Part[] };

export class Store {
  ui: DashboardUiState = DEFAULT_UI_STATE;
  model: ModelInfo | null = null;
  selection = { layer: 0, head: 0 };
  /** What the editor's highlights mean; the query strip and the grid show the same. */
  mode: { direction: Direction; aggregation: Aggregation } = { direction: 'attendsTo', aggregation: 'head' };
  run: RunInfo = { status: 'idle', label: '', totalSteps: 0, message: null };
  readonly steps = new ColumnStore(STEP_KEYS, 1024);
  readonly evals = new ColumnStore(EVAL_KEYS, 64);
  attention: QueryAttention | null = null;
  /** The runs kept in this workspace, newest first (the current run may be among them). */
  runs: readonly KeptRun[] = [];
  /** Runs the user hid on the loss panel (by id; page-local). */
  readonly hiddenRuns = new Set<string>();
  /** The two steps the step table compares (null: the first / the last step). */
  stepPick: { a: number | null; b: number | null } = { a: null, b: null };
  /** The shown run's head snapshots (null: none), and the step the scrubber shows (null: live). */
  snapshots: RunSnapshots | null = null;
  scrubStep: number | null = null;
  /** A message across the top (version mismatch, export result). */
  banner: { text: string; error: boolean } | null = null;
  /** Whether `init` arrived (before it, views show a loading state). */
  initialized = false;
  /** The page restored its own UI state (getState): it wins over the host's stored copy. */
  uiFromPage = false;
  /** Each view's payload for the current query, once it came. */
  private views: { [N in ViewName]?: PagePayload<N> } = {};
  /** Why a view will not come for the current query (absent: it may still). */
  private reasons: { [N in ViewName]?: string } = {};

  /** On-demand views the page asked the host for, for the current question. */
  private readonly asked = new Set<ViewName>();
  /** How far each on-demand view being computed is (passes done of total). */
  private progress_: { [N in ViewName]?: { done: number; total: number } } = {};

  /** How far view `name` is while it is computed, or null before its first report. */
  progress(name: ViewName): { readonly done: number; readonly total: number } | null {
    return this.asked.has(name) ? (this.progress_[name] ?? null) : null;
  }

  /** View `name`'s payload for the current query, or null while it has not come. */
  view<N extends ViewName>(name: N): PagePayload<N> | null {
    return (this.views[name] as PagePayload<N> | undefined) ?? null;
  }

  /** Why view `name` has nothing for the current query, or null if it may still come. */
  unavailable(name: ViewName): string | null {
    return this.reasons[name] ?? null;
  }

  /** Notes that the page asked for view `name` (computeView) for the question shown now; the host asks again after a failure, so its reason goes. */
  markRequested(name: ViewName): void {
    this.asked.add(name);
    delete this.reasons[name];
    delete this.progress_[name];
  }

  /** Whether the page asked for view `name` for the current question and it has not come or failed since. */
  requested(name: ViewName): boolean {
    return this.asked.has(name);
  }

  /** Forgets view `name`'s payload and reason: the page changed what it asks (a new custom detector). */
  forgetView(name: ViewName): void {
    delete this.views[name];
    delete this.reasons[name];
    delete this.progress_[name];
    this.asked.delete(name);
  }

  /** Applies one host message; returns the parts to redraw. */
  apply(m: HostToWebview): Part[] {
    const handler = this.handlers[m.type] as ((m: HostToWebview) => Part[]) | undefined;
    // A message type this page does not know is a bug on one side: it reaches the host's log.
    if (!handler) return assertNever(m as never, 'host message');
    return handler(m);
  }

  /** One handler per host message type (a type without one does not compile). */
  private readonly handlers: Handlers = {
    init: (m) => {
      if (m.protocolVersion !== WEBVIEW_PROTOCOL_VERSION) return this.mismatch(m.protocolVersion);
      this.initialized = true;
      if (m.ui && !this.uiFromPage) this.ui = m.ui;
      this.model = m.model;
      this.selection = m.selection;
      this.setRun(m.run, m.steps, m.evals);
      this.setAttention(m.attention);
      return ['ui', 'model', 'selection', 'run', 'attention', ...VIEW_NAMES, 'banner'];
    },
    versionMismatch: (m) => this.mismatch(m.expected),
    runReset: (m) => {
      this.setRun(m.run, m.steps, m.evals);
      return ['run'];
    },
    runAppend: (m) => {
      this.steps.append(m.steps);
      this.evals.append(m.evals);
      return ['run'];
    },
    runStatus: (m) => {
      this.run = m.run;
      return ['run'];
    },
    runs: (m) => {
      this.runs = m.runs;
      return ['run'];
    },
    model: (m) => {
      this.model = m.info;
      // A request made of the old model may never be answered (the host drops it quietly): offer the button again.
      const asked = [...this.asked];
      this.asked.clear();
      return ['model', ...asked];
    },
    selection: (m) => {
      // Views about the selected head say nothing about another head.
      if (m.layer !== this.selection.layer || m.head !== this.selection.head) this.forget('head');
      this.selection = { layer: m.layer, head: m.head };
      return ['selection'];
    },
    attentionMode: (m) => {
      this.mode = { direction: m.direction, aggregation: m.aggregation };
      return ['selection'];
    },
    attention: (m) => this.setAttention(m.attention),
    view: (m) => {
      if (!this.current(m.payload)) return [];
      (this.views as Record<ViewName, unknown>)[m.view] = m.payload;
      delete this.reasons[m.view];
      delete this.progress_[m.view];
      this.asked.delete(m.view);
      return [m.view];
    },
    viewUnavailable: (m) => {
      if (!this.current(m.window)) return [];
      this.reasons[m.view] = m.reason;
      this.asked.delete(m.view);
      delete this.progress_[m.view];
      return [m.view];
    },
    viewProgress: (m) => {
      if (!this.current(m.window) || !this.asked.has(m.view)) return [];
      this.progress_[m.view] = { done: m.done, total: m.total };
      return [m.view];
    },
    saved: (m) => {
      this.banner = { text: m.message, error: !m.ok };
      return ['banner'];
    },
    snapshots: (m) => {
      this.snapshots = m.snapshots;
      this.scrubStep = m.step;
      return ['snapshots'];
    },
    snapshotAdded: (m) => {
      if (!this.snapshots) return [];
      this.snapshots = { ...this.snapshots, every: m.every, list: addSnapshot(this.snapshots.list, m.snapshot, m.every) };
      this.scrubStep = m.step;
      return ['snapshots'];
    },
    scrubbed: (m) => {
      this.scrubStep = m.step;
      return ['snapshots'];
    },
  };

  private mismatch(expected: number): Part[] {
    this.banner = {
      text: t(
        'This dashboard page is out of date (protocol {0}, the extension speaks {1}). Close and reopen the dashboard.',
        WEBVIEW_PROTOCOL_VERSION,
        expected,
      ),
      error: true,
    };
    return ['banner'];
  }

  private setRun(run: RunInfo, steps: StepColumns, evals: EvalColumns): void {
    this.run = run;
    this.steps.clear();
    this.evals.clear();
    this.steps.append(steps);
    this.evals.append(evals);
  }

  private setAttention(a: QueryAttention | null): Part[] {
    const previous = this.attention;
    this.attention = a;
    const moved = !a || !previous || !sameWindow(a, previous);
    if (moved) return ['attention', ...this.forget('window')];
    const queryMoved = a.from !== previous.from || a.to !== previous.to;
    return ['attention', ...(queryMoved ? this.forget('query') : [])];
  }

  /** Forgets the views that depend on `scope` or a narrower one (a 'window' change forgets all); returns them. */
  private forget(scope: ViewScope): ViewName[] {
    const narrower: Record<ViewScope, readonly ViewScope[]> = { window: ['window', 'query', 'head'], query: ['query', 'head'], head: ['head'] };
    const names = VIEW_NAMES.filter((n) => narrower[scope].includes(VIEW_SCOPES[n]));
    for (const n of names) {
      delete this.views[n];
      delete this.reasons[n];
      delete this.progress_[n];
      this.asked.delete(n);
    }
    return names;
  }

  private current(w: WindowRef): boolean {
    return !!this.attention && sameWindow(w, this.attention);
  }
}
