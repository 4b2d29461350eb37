/**
 * Checks every message from the dashboard webview before the host acts on it. The page is
 * untrusted (it renders token text from arbitrary documents), so a message is rebuilt field by
 * field from what is expected — extra fields are dropped, wrong types, out-of-range numbers,
 * path-like file names and oversized payloads are refused with a reason for the log.
 */

import { isViewName, ON_DEMAND_VIEWS } from '../protocol/dashboardViews';
import { checkedDetector } from '../protocol/headRules';
import { bool, describe, fail, int, oneOf, record, str, validated, within } from '../protocol/validation';
import { HEAD_SORT_KEYS, type DashboardUiState, type SaveFormat, type WebviewToHost } from '../protocol/webviewProtocol';

export type Validated = { readonly ok: true; readonly message: WebviewToHost } | { readonly ok: false; readonly reason: string };

/** Largest export the host will write (a PNG of a big canvas is a few MB). */
export const MAX_SAVE_CHARS = 48 * 1024 * 1024;
export const MAX_KEY_CHARS = 8192;
export const MAX_ERROR_CHARS = 4000;
/** Layers/heads and character offsets beyond these are nonsense, whatever the model. */
const MAX_INDEX = 1 << 16;
const MAX_OFFSET = 2 ** 31 - 1;
/** More heads than any model has. */
const MAX_HEADS = 4096;

const FILE_NAME = /^[\w][\w .()+-]{0,119}$/;
const PNG_DATA_URL = /^data:image\/png;base64,[A-Za-z0-9+/]+={0,2}$/;

/** The UI state as the webview reports it; also used on what the memento returns. */
export function validateUiState(raw: unknown): DashboardUiState {
  const o = record(raw, 'ui');
  const smoothing = o.smoothing;
  if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing <= 0.999)) fail(`smoothing must be in [0, 0.999], got ${describe(smoothing)}`);
  return {
    smoothing,
    logY: bool(o, 'logY'),
    yFromZero: bool(o, 'yFromZero'),
    ignoreOutliers: bool(o, 'ignoreOutliers'),
    xAxis: oneOf(o, 'xAxis', ['step', 'time'] as const),
    normalization: oneOf(o, 'normalization', ['head', 'global'] as const),
    sortKey: oneOf(o, 'sortKey', HEAD_SORT_KEYS),
    sortDescending: bool(o, 'sortDescending'),
    // Absent in states kept before custom detectors existed.
    detector: o.detector === undefined || o.detector === null ? null : within('detector', () => checkedDetector(o.detector)),
  };
}

/** validateUiState that returns null instead of throwing (for stored state of unknown age). */
export function parseUiState(raw: unknown): DashboardUiState | null {
  try {
    return validateUiState(raw);
  } catch {
    return null;
  }
}

function saveData(format: SaveFormat, data: string): void {
  if (format === 'png') {
    if (!PNG_DATA_URL.test(data)) fail('a PNG export must be a base64 data:image/png URL');
    return;
  }
  if (format === 'json') {
    try {
      JSON.parse(data);
    } catch (e) {
      fail(`the JSON export does not parse: ${(e as Error).message}`);
    }
  }
}

function parse(raw: unknown): WebviewToHost {
  const o = record(raw, 'the message');
  const type = o.type;
  switch (type) {
    case 'ready':
      return { type, protocolVersion: int(o, 'protocolVersion', 0, MAX_INDEX) };
    case 'computeView': {
      const view = o.view;
      if (!isViewName(view) || !ON_DEMAND_VIEWS.has(view)) fail(`view must be one of ${[...ON_DEMAND_VIEWS].join(', ')}, got ${describe(view)}`);
      return { type, view };
    }
    case 'cancelView': {
      const view = o.view;
      if (!isViewName(view) || !ON_DEMAND_VIEWS.has(view)) fail(`view must be one of ${[...ON_DEMAND_VIEWS].join(', ')}, got ${describe(view)}`);
      return { type, view };
    }
    case 'ablateHeads': {
      const raw = o.heads;
      if (!Array.isArray(raw)) fail(`heads must be an array, got ${describe(raw)}`);
      if (raw.length > MAX_HEADS) fail(`heads holds ${raw.length} heads; at most ${MAX_HEADS}`);
      const heads: { layer: number; head: number }[] = [];
      for (let i = 0; i < raw.length; i++) {
        const h = record(raw[i], `heads[${i}]`);
        heads.push({ layer: int(h, 'layer', 0, MAX_INDEX), head: int(h, 'head', 0, MAX_INDEX) });
      }
      return { type, heads };
    }
    case 'pinQuery':
      return { type, pinned: bool(o, 'pinned') };
    case 'setHeadDetector':
      return { type, detector: o.detector === null ? null : within('detector', () => checkedDetector(o.detector)) };
    case 'selectHead':
      return { type, layer: int(o, 'layer', 0, MAX_INDEX), head: int(o, 'head', 0, MAX_INDEX) };
    case 'selectTokens': {
      const documentKey = str(o, 'documentKey', MAX_KEY_CHARS);
      const start = int(o, 'start', 0, MAX_OFFSET);
      const end = int(o, 'end', 0, MAX_OFFSET);
      if (end < start) fail(`end ${end} is before start ${start}`);
      return { type, documentKey, start, end };
    }
    case 'save': {
      const format = oneOf(o, 'format', ['png', 'csv', 'json'] as const);
      const suggestedName = str(o, 'suggestedName', 120);
      if (!FILE_NAME.test(suggestedName) || suggestedName.includes('..')) fail(`suggestedName ${describe(suggestedName)} is not a plain file name`);
      const data = str(o, 'data', MAX_SAVE_CHARS);
      saveData(format, data);
      return { type, format, suggestedName, data };
    }
    case 'persist':
      return { type, ui: validateUiState(o.ui) };
    case 'error':
      return { type, message: str(o, 'message', Number.MAX_SAFE_INTEGER).slice(0, MAX_ERROR_CHARS) };
    case 'setDirection':
      return { type, direction: oneOf(o, 'direction', ['attendsTo', 'attendedBy'] as const) };
    case 'forgetRun':
      return { type, id: str(o, 'id', MAX_KEY_CHARS) };
    case 'scrub':
      // A step number (which snapshot is the host's to judge) or null for live; a missing step is not "live".
      if (!('step' in o)) fail('step must be a whole number ≥ 0 or null, got nothing');
      return { type, step: o.step === null ? null : int(o, 'step', 0, Number.MAX_SAFE_INTEGER) };
    default:
      return fail(`unknown message type ${describe(type)}`);
  }
}

/** Never throws: a malformed message comes back as {ok: false, reason}. */
export function validateWebviewMessage(raw: unknown): Validated {
  const v = validated(() => parse(raw));
  return v.ok ? { ok: true, message: v.value } : v;
}
