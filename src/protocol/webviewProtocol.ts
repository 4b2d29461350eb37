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

import { HEAD_KIND_NAMES, type ModelInfo, type TokenSlice, type WindowRef } from './common';
import type { EvalColumns, KeptRun, RunSample, RunStatus, StepColumns } from './runs';
import type { PagePayload, ViewName } from './dashboardViews';
import type { CustomDetector } from './headRules';
import type { Aggregation, Direction } from './settings';
import type { RunSnapshot, RunSnapshots } from './snapshots';

/**
 * 4: every engine-fed view travels in one `view` / `viewUnavailable` pair, named as in dashboardViews.ts; on-demand views are asked for with `computeView`.
 * 5: the kept runs travel in a `runs` message, and a run's info carries its id and eval samples.
 * 6: `attentionMode` (the editor's direction and aggregation) to the page, `setDirection` from it; the `classification` view.
 * 7: on-demand views report `viewProgress` and can be cancelled (`cancelView`); the page can ablate heads and pin the query; the `flow` and `induction` views.
 * 8: the page's custom head detector (`setHeadDetector`, kept in the UI state) and its `customHeads` view.
 * 9: the run's head snapshots (`snapshots`, then `snapshotAdded` per new one) and the scrubber's step (`scrubbed`); the page's `scrub`.
 * 10: ModelInfo says what the weights are held as in memory and take (`weightsDtype`, `weightsBytes`).
 * 11: ModelInfo.readsText (false: a model without a tokenizer, which cannot read the editor's text).
 */
export const WEBVIEW_PROTOCOL_VERSION = 11;

/** The panel's viewType (also the serializer's key; must match package.json's activation event). */
export const DASHBOARD_VIEW_TYPE = 'attentionLens.dashboard';

export type { EvalColumns, RunStatus, StepColumns } from './runs';

export interface RunInfo {
  readonly status: RunStatus;
  readonly label: string;
  readonly totalSteps: number;
  readonly message: string | null;
  /** The run's id in the kept runs (protocol/runs.ts); absent for no run. */
  readonly id?: string;
  /** Text generated from the probe at each evaluation so far. */
  readonly samples?: readonly RunSample[];
}

/** The current query's attention, as the editor shows it (see workerProtocol's attentionRows). */
export interface QueryAttention extends WindowRef {
  /** File name for titles; the key (a URI) is what selectTokens sends back. */
  readonly documentName: string;
  /** Query tokens [from, to), document indices. */
  readonly from: number;
  readonly to: number;
  readonly tokens: TokenSlice;
  readonly layers: number;
  readonly heads: number;
  /** [L, H, W]: where the query looks (mean over the query range). */
  readonly rows: Float32Array;
  /** [L, H, W]: who looks at the query tokens (mean over them). */
  readonly columns: Float32Array;
  /** [L, H, W]: q·k/√d behind rows, mean over the query tokens that see each key (−Infinity where none does). */
  readonly scores: Float32Array;
  /** What rows and columns weigh, as in the editor: α, or ‖α·v‖ (absent: α). */
  readonly weighting?: 'attention' | 'valueWeighted';
  /** The query is pinned: the editor's cursor does not move it (absent: not pinned). */
  readonly pinned?: boolean;
}

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
  /** The custom head detector the page scores heads with (null: none defined). */
  readonly detector: CustomDetector | null;
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
  detector: null,
};

// ---------------------------------------------------------------- host → webview

/** The `view` message of each view, pairing its name with its payload. */
export type ViewMessage<N extends ViewName = ViewName> = N extends ViewName
  ? { readonly type: 'view'; readonly view: N; readonly payload: PagePayload<N> }
  : never;

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
  /** The runs kept in this workspace (newest first), for comparison with the current one. */
  | { readonly type: 'runs'; readonly runs: readonly KeptRun[] }
  | { readonly type: 'model'; readonly info: ModelInfo | null }
  /** The layer/head selected everywhere (editor, status bar, dashboard). */
  | { readonly type: 'selection'; readonly layer: number; readonly head: number }
  /** What the editor's highlights mean (settings attention.direction and attention.aggregation): the page shows the same; sent after `init` and on change. */
  | { readonly type: 'attentionMode'; readonly direction: Direction; readonly aggregation: Aggregation }
  /** What the editor shows now; null when nothing (no model, no editor, binary file…). */
  | { readonly type: 'attention'; readonly attention: QueryAttention | null }
  /** A dashboard view's payload for the current query (dashboardViews.ts). */
  | ViewMessage
  /** An on-demand view being computed for this window: `done` of `total` passes (it can be cancelled with `cancelView`). */
  | { readonly type: 'viewProgress'; readonly view: ViewName; readonly window: WindowRef; readonly done: number; readonly total: number }
  /** A view cannot be shown for this window (too large, the engine failed or sent a bad reply): it shows the reason instead of waiting. */
  | { readonly type: 'viewUnavailable'; readonly view: ViewName; readonly window: WindowRef; readonly reason: string }
  /** Outcome of a `save` request. */
  | { readonly type: 'saved'; readonly ok: boolean; readonly message: string }
  /** The shown run's head snapshots (protocol/snapshots.ts; null: none) and the step scrubbed to (null: live). */
  | { readonly type: 'snapshots'; readonly snapshots: RunSnapshots | null; readonly step: number | null }
  /** A snapshot the running training just took; `every` is the interval now (steps off it were thinned away). */
  | { readonly type: 'snapshotAdded'; readonly every: number; readonly snapshot: RunSnapshot; readonly step: number | null }
  /** The step the scrubber is on (null: live), as the host holds it. */
  | { readonly type: 'scrubbed'; readonly step: number | null };

// ---------------------------------------------------------------- webview → host

export type SaveFormat = 'png' | 'csv' | 'json';

export type WebviewToHost =
  /** Handshake: the page is loaded and listening. */
  | { readonly type: 'ready'; readonly protocolVersion: number }
  /** Compute an on-demand view (ON_DEMAND_VIEWS) for the question shown now. */
  | { readonly type: 'computeView'; readonly view: ViewName }
  /** Stop computing an on-demand view (its progress was shown); it can be asked for again. */
  | { readonly type: 'cancelView'; readonly view: ViewName }
  /** Switch these heads off together in the editor (the ablation overlay); none: restore them. */
  | { readonly type: 'ablateHeads'; readonly heads: readonly { readonly layer: number; readonly head: number }[] }
  /** Pin the query shown now (the editor's cursor no longer moves it), or unpin it. */
  | { readonly type: 'pinQuery'; readonly pinned: boolean }
  /** Score every head with this custom detector on each window from now on (null: stop). */
  | { readonly type: 'setHeadDetector'; readonly detector: CustomDetector | null }
  /** Select this head everywhere. */
  | { readonly type: 'selectHead'; readonly layer: number; readonly head: number }
  /** Reveal and select [start, end) (UTF-16 offsets) of the document in its editor. */
  | { readonly type: 'selectTokens'; readonly documentKey: string; readonly start: number; readonly end: number }
  /** Save an export: a PNG data URL, or CSV/JSON text; the host asks where. */
  | { readonly type: 'save'; readonly format: SaveFormat; readonly suggestedName: string; readonly data: string }
  /** The UI state changed; the host keeps it for the next panel. */
  | { readonly type: 'persist'; readonly ui: DashboardUiState }
  /** An error inside the page, for the host's log. */
  | { readonly type: 'error'; readonly message: string }
  /** The page's "Looks at / Looked at by" toggle: the editor's direction setting follows it. */
  | { readonly type: 'setDirection'; readonly direction: Direction }
  /** Forget a kept run (protocol/runs.ts) of this workspace. */
  | { readonly type: 'forgetRun'; readonly id: string }
  /** Show the model at this snapshot's training step (the editor's highlights follow), or live again (null). */
  | { readonly type: 'scrub'; readonly step: number | null };
