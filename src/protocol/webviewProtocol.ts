/**
 * The host ⇄ dashboard webview channel. The webview is a browser page: it only draws and
 * reports clicks; every number comes from the host. First exchange: the webview posts
 * `ready` with its protocol version, the host answers `init` (everything needed to draw,
 * including the persisted UI state) or `versionMismatch`. Then the host streams deltas.
 *
 * Payloads are plain data and typed arrays with explicit shapes. Typed arrays keep NaN and
 * ±Infinity (VS Code transfers their buffers; JSON would turn them into null), which is why
 * training metrics travel as columns of Float64Array: a diverged step stays visible.
 * Everything the webview sends is untrusted and checked by presentation/webviewValidation.ts.
 */

import type { EvalPoint, ModelInfo, StepPoint } from './common';

export const WEBVIEW_PROTOCOL_VERSION = 3;

/** The panel's viewType (also the serializer's key; must match package.json's activation event). */
export const DASHBOARD_VIEW_TYPE = 'attentionLens.dashboard';

export type RunStatus = 'idle' | 'running' | 'completed' | 'cancelled' | 'diverged' | 'failed';

export interface RunInfo {
  readonly status: RunStatus;
  readonly label: string;
  readonly totalSteps: number;
  readonly message: string | null;
}

/** Training steps as columns: index i of every column is one StepPoint. */
export type StepColumns = { readonly [K in keyof StepPoint]: Float64Array };

/** Evaluations as columns: index i of every column is one EvalPoint. */
export type EvalColumns = { readonly [K in keyof EvalPoint]: Float64Array };

/** The tokens of one context window: token i is document token `first + i`. */
export interface WindowTokens {
  readonly first: number;
  readonly ids: Int32Array;
  /** [start, end) UTF-16 offsets into the document. */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly labels: readonly string[];
}

/** Identifies a window of a document version; every attention payload carries it. */
export interface WindowRef {
  readonly documentKey: string;
  readonly version: number;
  readonly windowStart: number;
  readonly windowLength: number;
}

/** The current query's attention, as the editor shows it (see workerProtocol's attentionRows). */
export interface QueryAttention extends WindowRef {
  /** File name for titles; the key (a URI) is what selectTokens sends back. */
  readonly documentName: string;
  /** Query tokens [from, to), document indices. */
  readonly from: number;
  readonly to: number;
  readonly tokens: WindowTokens;
  readonly layers: number;
  readonly heads: number;
  /** [L, H, W]: where the query looks (mean over the query range). */
  readonly rows: Float32Array;
  /** [L, H, W]: who looks at the first query token. */
  readonly columns: Float32Array;
  /** [L, H, W]: q·k/√d behind the first query token's row (−Infinity where masked). */
  readonly scores: Float32Array;
}

/** One head's full pattern over the window: weights[q·W + k], row = query. */
export interface AttentionMatrix extends WindowRef {
  readonly layer: number;
  readonly head: number;
  readonly weights: Float32Array;
  /** Extremes over every head of every layer, for the "global" colour scale. */
  readonly globalMin: number;
  readonly globalMax: number;
}

/** Every head's pattern shrunk to size×size (max-pooled, so thin stripes survive). */
export interface HeadGrid extends WindowRef {
  readonly layers: number;
  readonly heads: number;
  readonly size: number;
  /** [L, H, size, size]. */
  readonly thumbnails: Float32Array;
}

/** Head detectors, as named in the CLI's JSON contract (engine/analysis/patterns.ts HEAD_KINDS). */
export const HEAD_KIND_NAMES = ['previous_token', 'duplicate_token', 'induction', 'first_token', 'current_token'] as const;
export type HeadKindName = (typeof HEAD_KIND_NAMES)[number];

/** Per-head statistics of a window (engine/analysis/headSummary.ts), each [L, H]. */
export interface HeadStats extends WindowRef {
  readonly layers: number;
  readonly heads: number;
  /** Detector name → TL "mul" score per head. */
  readonly scores: Readonly<Record<HeadKindName, Float32Array>>;
  /** Mean entropy normalised by ln(i + 1): 0 one key, 1 uniform. */
  readonly entropy: Float32Array;
  readonly keys50: Float32Array;
  readonly keys90: Float32Array;
}

/** Rollout relevance of every window token for the query token, after each layer: [L, W]. */
export interface RolloutRow extends WindowRef {
  readonly query: number;
  readonly layers: number;
  readonly relevance: Float32Array;
}

/** The numbers behind one head's weights for one query token (window index). */
export interface WhyDetail extends WindowRef {
  readonly query: number;
  readonly layer: number;
  readonly head: number;
  readonly headSize: number;
  /** [hs] */
  readonly q: Float32Array;
  /** [W, hs] */
  readonly k: Float32Array;
  /** [W, hs] */
  readonly v: Float32Array;
  /** [hs]: Σ_k weight_k · v_k. */
  readonly output: Float32Array;
}

/** The engine-fed views besides the matrix (which has its own `matrixUnavailable`). */
export type UnavailableView = 'headStats' | 'rollout' | 'why';

export type MatrixNormalization = 'head' | 'global';
export type LossAxis = 'step' | 'time';
export const HEAD_SORT_KEYS = ['head', ...HEAD_KIND_NAMES, 'entropy', 'keys50', 'keys90'] as const;
export type HeadSortKey = (typeof HEAD_SORT_KEYS)[number];

/** UI choices kept with the panel (webview getState/setState, and the workspace memento). */
export interface DashboardUiState {
  /** TensorBoard smoothing weight in [0, 0.999]. */
  readonly smoothing: number;
  readonly logY: boolean;
  readonly yFromZero: boolean;
  /** Scale y to the 5 %–95 % quantiles of what is on screen (TensorBoard's default). */
  readonly ignoreOutliers: boolean;
  readonly xAxis: LossAxis;
  readonly normalization: MatrixNormalization;
  readonly sortKey: HeadSortKey;
  readonly sortDescending: boolean;
}

export const DEFAULT_UI_STATE: DashboardUiState = {
  smoothing: 0.6,
  logY: false,
  yFromZero: false,
  ignoreOutliers: false,
  xAxis: 'step',
  normalization: 'head',
  sortKey: 'head',
  sortDescending: false,
};

// ---------------------------------------------------------------- host → webview

export type HostToWebview =
  /** Handshake reply: everything to draw from scratch. */
  | {
      readonly type: 'init';
      readonly protocolVersion: number;
      readonly ui: DashboardUiState | null;
      readonly model: ModelInfo | null;
      readonly selection: { readonly layer: number; readonly head: number };
      readonly run: RunInfo;
      readonly steps: StepColumns;
      readonly evals: EvalColumns;
      readonly attention: QueryAttention | null;
    }
  /** The webview speaks another protocol version (a stale page): it shows this instead of drawing. */
  | { readonly type: 'versionMismatch'; readonly expected: number }
  /** A new run started (or a finished one was replaced): drop the old curves. */
  | { readonly type: 'runReset'; readonly run: RunInfo; readonly steps: StepColumns; readonly evals: EvalColumns }
  /** Points added since the last message, in order (either may be empty). */
  | { readonly type: 'runAppend'; readonly steps: StepColumns; readonly evals: EvalColumns }
  /** The run finished, was cancelled or diverged. */
  | { readonly type: 'runStatus'; readonly run: RunInfo }
  | { readonly type: 'model'; readonly info: ModelInfo | null }
  /** The layer/head selected everywhere (editor, status bar, dashboard). */
  | { readonly type: 'selection'; readonly layer: number; readonly head: number }
  /** What the editor shows now; null when nothing (no model, no editor, binary file…). */
  | { readonly type: 'attention'; readonly attention: QueryAttention | null }
  /** The matrix for this window cannot be shown (too large, the document changed, the engine failed). */
  | { readonly type: 'matrixUnavailable'; readonly window: WindowRef; readonly reason: string }
  /** Head stats, rollout or "why" for this window cannot be shown (the engine failed or sent a bad reply): the view shows the reason instead of waiting. */
  | { readonly type: 'viewUnavailable'; readonly view: UnavailableView; readonly window: WindowRef; readonly reason: string }
  | { readonly type: 'matrix'; readonly matrix: AttentionMatrix }
  | { readonly type: 'grid'; readonly grid: HeadGrid }
  | { readonly type: 'headStats'; readonly stats: HeadStats }
  | { readonly type: 'rollout'; readonly rollout: RolloutRow }
  | { readonly type: 'why'; readonly detail: WhyDetail }
  /** Outcome of a `save` request. */
  | { readonly type: 'saved'; readonly ok: boolean; readonly message: string };

// ---------------------------------------------------------------- webview → host

export type SaveFormat = 'png' | 'csv' | 'json';

export type WebviewToHost =
  /** Handshake: the page is loaded and listening. */
  | { readonly type: 'ready'; readonly protocolVersion: number }
  /** Select this head everywhere. */
  | { readonly type: 'selectHead'; readonly layer: number; readonly head: number }
  /** Reveal and select [start, end) (UTF-16 offsets) of the document in its editor. */
  | { readonly type: 'selectTokens'; readonly documentKey: string; readonly start: number; readonly end: number }
  /** Save an export: a PNG data URL, or CSV/JSON text; the host asks where. */
  | { readonly type: 'save'; readonly format: SaveFormat; readonly suggestedName: string; readonly data: string }
  /** The UI state changed; the host keeps it for the next panel. */
  | { readonly type: 'persist'; readonly ui: DashboardUiState }
  /** An error inside the page, for the host's log. */
  | { readonly type: 'error'; readonly message: string };
