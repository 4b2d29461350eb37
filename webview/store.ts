/**
 * Everything the page knows, updated by host messages. apply() mutates and says which parts
 * changed; the page redraws those parts once per animation frame, so a burst of training
 * steps or cursor moves costs one draw. Payloads tied to a window (matrix, grid, head stats,
 * rollout, why) are dropped when the current query moves to another window or document version;
 * so are the reasons a view has nothing (`matrixUnavailable`, `viewUnavailable`), which new
 * data for the view also clears.
 */

import { ColumnStore, EVAL_KEYS, STEP_KEYS } from '../src/presentation/metricColumns';
import { sameWindow } from '../src/presentation/dashboardPayloads';
import { assertNever, type ModelInfo } from '../src/protocol/common';
import {
  DEFAULT_UI_STATE,
  WEBVIEW_PROTOCOL_VERSION,
  type AttentionMatrix,
  type DashboardUiState,
  type EvalColumns,
  type HeadGrid,
  type HeadStats,
  type HostToWebview,
  type QueryAttention,
  type RolloutRow,
  type RunInfo,
  type StepColumns,
  type UnavailableView,
  type WhyDetail,
  type WindowRef,
} from '../src/protocol/webviewProtocol';

export type Part = 'run' | 'model' | 'selection' | 'attention' | 'matrix' | 'grid' | 'stats' | 'extras' | 'ui' | 'banner';

export type MatrixStatus = { readonly kind: 'none' } | { readonly kind: 'failed'; readonly reason: string } | { readonly kind: 'ready' };

const NOTHING_UNAVAILABLE: Readonly<Record<UnavailableView, string | null>> = { headStats: null, rollout: null, why: null };

/** The parts that draw each view told about by `viewUnavailable`. */
const UNAVAILABLE_PARTS: Record<UnavailableView, Part[]> = { headStats: ['stats'], rollout: ['extras'], why: ['extras'] };

export class Store {
  ui: DashboardUiState = DEFAULT_UI_STATE;
  model: ModelInfo | null = null;
  selection = { layer: 0, head: 0 };
  run: RunInfo = { status: 'idle', label: '', totalSteps: 0, message: null };
  readonly steps = new ColumnStore(STEP_KEYS, 1024);
  readonly evals = new ColumnStore(EVAL_KEYS, 64);
  attention: QueryAttention | null = null;
  matrix: AttentionMatrix | null = null;
  matrixStatus: MatrixStatus = { kind: 'none' };
  grid: HeadGrid | null = null;
  stats: HeadStats | null = null;
  rollout: RolloutRow | null = null;
  why: WhyDetail | null = null;
  /** Why head stats, rollout or "why" for the current window/query/head will not come (null: it may still). */
  unavailable: Readonly<Record<UnavailableView, string | null>> = NOTHING_UNAVAILABLE;
  /** A message across the top (version mismatch, export result). */
  banner: { text: string; error: boolean } | null = null;
  /** Whether `init` arrived (before it, views show a loading state). */
  initialized = false;
  /** The page restored its own UI state (getState): it wins over the host's stored copy. */
  uiFromPage = false;

  /** Applies one host message; returns the parts to redraw. */
  apply(m: HostToWebview): Part[] {
    switch (m.type) {
      case 'init':
        if (m.protocolVersion !== WEBVIEW_PROTOCOL_VERSION) return this.mismatch(m.protocolVersion);
        this.initialized = true;
        if (m.ui && !this.uiFromPage) this.ui = m.ui;
        this.model = m.model;
        this.selection = m.selection;
        this.setRun(m.run, m.steps, m.evals);
        this.setAttention(m.attention);
        return ['ui', 'model', 'selection', 'run', 'attention', 'matrix', 'grid', 'stats', 'extras', 'banner'];
      case 'versionMismatch':
        return this.mismatch(m.expected);
      case 'runReset':
        this.setRun(m.run, m.steps, m.evals);
        return ['run'];
      case 'runAppend':
        this.steps.append(m.steps);
        this.evals.append(m.evals);
        return ['run'];
      case 'runStatus':
        this.run = m.run;
        return ['run'];
      case 'model':
        this.model = m.info;
        return ['model'];
      case 'selection':
        // "Why" is about the selected head: another head's failure says nothing about this one.
        if (m.layer !== this.selection.layer || m.head !== this.selection.head) this.unavailable = { ...this.unavailable, why: null };
        this.selection = { layer: m.layer, head: m.head };
        return ['selection'];
      case 'attention':
        return this.setAttention(m.attention);
      case 'matrixUnavailable':
        if (!this.current(m.window)) return [];
        this.matrixStatus = { kind: 'failed', reason: m.reason };
        return ['matrix', 'grid'];
      case 'viewUnavailable':
        if (!this.current(m.window)) return [];
        this.unavailable = { ...this.unavailable, [m.view]: m.reason };
        return UNAVAILABLE_PARTS[m.view];
      case 'matrix':
        if (!this.current(m.matrix)) return [];
        this.matrix = m.matrix;
        this.matrixStatus = { kind: 'ready' };
        return ['matrix'];
      case 'grid':
        if (!this.current(m.grid)) return [];
        this.grid = m.grid;
        return ['grid'];
      case 'headStats':
        if (!this.current(m.stats)) return [];
        this.stats = m.stats;
        this.unavailable = { ...this.unavailable, headStats: null };
        return ['stats', 'grid'];
      case 'rollout':
        if (!this.current(m.rollout)) return [];
        this.rollout = m.rollout;
        this.unavailable = { ...this.unavailable, rollout: null };
        return ['extras'];
      case 'why':
        if (!this.current(m.detail)) return [];
        this.why = m.detail;
        this.unavailable = { ...this.unavailable, why: null };
        return ['extras'];
      case 'saved':
        this.banner = { text: m.message, error: !m.ok };
        return ['banner'];
      default:
        // A message type this page does not know is a bug on one side: it reaches the host's log.
        return assertNever(m, 'host message');
    }
  }

  private mismatch(expected: number): Part[] {
    this.banner = { text: `This dashboard page is out of date (protocol ${WEBVIEW_PROTOCOL_VERSION}, the extension speaks ${expected}). Close and reopen the dashboard.`, error: true };
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
    const moved = !a || !this.attention || !sameWindow(a, this.attention);
    const queryMoved = moved || a.from !== this.attention!.from || a.to !== this.attention!.to;
    this.attention = a;
    if (queryMoved) {
      this.rollout = null;
      this.why = null;
      this.unavailable = { ...this.unavailable, rollout: null, why: null };
    }
    if (!moved) return ['attention', 'extras'];
    this.matrix = null;
    this.grid = null;
    this.stats = null;
    this.rollout = null;
    this.why = null;
    this.matrixStatus = { kind: 'none' };
    this.unavailable = NOTHING_UNAVAILABLE;
    return ['attention', 'matrix', 'grid', 'stats', 'extras'];
  }

  private current(w: WindowRef): boolean {
    return !!this.attention && sameWindow(w, this.attention);
  }
}
