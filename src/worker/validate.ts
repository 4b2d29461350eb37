/**
 * Checks every message that arrives from the host before it is dispatched. The host is
 * trusted code, but the worker must never crash on a malformed message: a bad one becomes a
 * `failed` reply with code 'bad-request' (carrying its id when the id itself is readable).
 * What comes out is a freshly built message holding only the protocol's fields.
 *
 * Only shapes and types are checked here; whether values are usable (a preset name, a step
 * count's range) is decided by the engine and reported as 'bad-input'.
 */

import { DETECTOR_VIEWS, isViewName } from '../protocol/dashboardViews';
import { checkedDetector } from '../protocol/headRules';
import { describe, fail, InvalidMessage, int, nonEmpty, nonNegative, num, record, str, within, type Fields } from '../protocol/validation';
import type { CharRange, CompareWith, HeadAddress, HostToWorker, TrainRequestOptions } from '../protocol/workerProtocol';

export type ParsedMessage = { readonly ok: true; readonly message: HostToWorker } | { readonly ok: false; readonly id: number | null; readonly reason: string };

/** More ranges than any editor shows at once; a guard against absurd requests. */
export const MAX_RANGES = 10_000;

export function parseHostMessage(raw: unknown): ParsedMessage {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, id: null, reason: `a message must be an object, got ${describe(raw)}` };
  }
  const r = raw as Fields;
  const id = typeof r.id === 'number' && Number.isSafeInteger(r.id) ? r.id : null;
  try {
    if (id === null) fail(`id must be a safe integer, got ${describe(r.id)}`);
    return { ok: true, message: build(r, id) };
  } catch (e) {
    if (!(e instanceof InvalidMessage)) throw e;
    return { ok: false, id, reason: `${typeof r.type === 'string' ? `"${r.type.slice(0, 40)}" message: ` : ''}${e.message}` };
  }
}

function build(r: Fields, id: number): HostToWorker {
  const type = r.type;
  switch (type) {
    case 'train':
      return {
        type,
        id,
        text: str(r, 'text'),
        options: trainOptions(r.options),
        checkpointPath: nonEmpty(r, 'checkpointPath'),
        sourceName: str(r, 'sourceName'),
        ...(r.samplePrompt === undefined ? {} : { samplePrompt: str(r, 'samplePrompt') }),
        probe: r.probe === null ? null : within('probe', () => charRange(r.probe)),
      };
    case 'continueTraining':
      return {
        type,
        id,
        text: str(r, 'text'),
        checkpointPath: nonEmpty(r, 'checkpointPath'),
        sourceName: str(r, 'sourceName'),
        ...(r.samplePrompt === undefined ? {} : { samplePrompt: str(r, 'samplePrompt') }),
      };
    case 'cancel':
      return { type, id, target: int(r, 'target') };
    case 'load': {
      const tokenizerPath = r.tokenizerPath === null ? null : nonEmpty(r, 'tokenizerPath');
      return { type, id, path: nonEmpty(r, 'path'), tokenizerPath };
    }
    case 'save':
      return { type, id, path: nonEmpty(r, 'path') };
    case 'tokens':
      return {
        type,
        id,
        documentKey: str(r, 'documentKey'),
        version: int(r, 'version'),
        text: r.text === null ? null : str(r, 'text'),
        ranges: ranges(r.ranges),
        windowStride: nonNegative(r, 'windowStride'),
      };
    case 'attention': {
      const from = nonNegative(r, 'from');
      const to = nonNegative(r, 'to');
      if (to <= from) fail(`to (${to}) must be greater than from (${from})`);
      const w = r.weighting;
      if (w !== undefined && w !== 'attention' && w !== 'valueWeighted') fail(`weighting must be "attention" or "valueWeighted", got ${describe(w)}`);
      return { type, id, documentKey: str(r, 'documentKey'), version: int(r, 'version'), from, to, ...(w ? { weighting: w } : {}) };
    }
    case 'closeDocument':
      return { type, id, documentKey: str(r, 'documentKey') };
    case 'ablate':
      return {
        type,
        id,
        documentKey: str(r, 'documentKey'),
        version: int(r, 'version'),
        token: nonNegative(r, 'token'),
        heads: headList(r.heads),
        mode: r.mode === 'mean' ? 'mean' : r.mode === 'zero' ? 'zero' : fail(`mode must be "zero" or "mean", got ${describe(r.mode)}`),
      };
    case 'attribute':
      return {
        type,
        id,
        documentKey: str(r, 'documentKey'),
        version: int(r, 'version'),
        token: nonNegative(r, 'token'),
        method: r.method === 'ig' ? 'ig' : r.method === 'grad' ? 'grad' : fail(`method must be "ig" or "grad", got ${describe(r.method)}`),
      };
    case 'memory':
      if (typeof r.collectGarbage !== 'boolean') fail(`collectGarbage must be a boolean, got ${describe(r.collectGarbage)}`);
      return { type, id, collectGarbage: r.collectGarbage };
    case 'hubDownload': {
      const files = r.files === null ? null : strings(r.files, 'files');
      const opt = (k: string): string | null => (r[k] === null ? null : nonEmpty(r, k));
      return {
        type,
        id,
        baseUrl: nonEmpty(r, 'baseUrl'),
        repo: nonEmpty(r, 'repo'),
        revision: nonEmpty(r, 'revision'),
        cacheDir: nonEmpty(r, 'cacheDir'),
        token: opt('token'),
        files,
        loadPath: opt('loadPath'),
        tokenizerPath: opt('tokenizerPath'),
      };
    }
    case 'view': {
      const view = r.view;
      if (!isViewName(view)) fail(`view must name a dashboard view, got ${describe(view)}`);
      return {
        type,
        id,
        view,
        documentKey: str(r, 'documentKey'),
        version: int(r, 'version'),
        token: nonNegative(r, 'token'),
        layer: nonNegative(r, 'layer'),
        head: nonNegative(r, 'head'),
        ...(DETECTOR_VIEWS.has(view) ? { detector: within('detector', () => checkedDetector(r.detector)) } : {}),
      };
    }
    case 'generate':
      return {
        type,
        id,
        prompt: str(r, 'prompt'),
        maxTokens: int(r, 'maxTokens', 1, 100_000),
        temperature: num(r, 'temperature'),
        topP: num(r, 'topP'),
        seed: int(r, 'seed', 0, 2 ** 32 - 1),
        topK: int(r, 'topK', 1, 100),
      };
    case 'compare':
      return { type, id, documentKey: str(r, 'documentKey'), with: r.with === null ? null : compareWith(r.with) };
    default:
      return fail(`unknown message type ${describe(type)}`);
  }
}

function compareWith(raw: unknown): CompareWith {
  return within('with', () => {
    const o = record(raw, 'with');
    if (o.kind === 'edit') return { kind: 'edit', documentKey: str(o, 'documentKey'), token: nonNegative(o, 'token'), label: str(o, 'label', 500) };
    if (o.kind === 'checkpoint') {
      const tokenizerPath = o.tokenizerPath === null ? null : nonEmpty(o, 'tokenizerPath');
      return { kind: 'checkpoint', path: nonEmpty(o, 'path'), tokenizerPath, label: str(o, 'label', 500) };
    }
    return fail(`kind must be "edit" or "checkpoint", got ${describe(o.kind)}`);
  });
}

function trainOptions(raw: unknown): TrainRequestOptions {
  return within('options', () => {
    const o = record(raw, 'options');
    // Ranges and finiteness are checked by resolveTrainOptions, as bad-input.
    return {
      preset: str(o, 'preset'),
      steps: num(o, 'steps'),
      batchSize: o.batchSize === null ? null : num(o, 'batchSize'),
      learningRate: o.learningRate === null ? null : num(o, 'learningRate'),
      seed: num(o, 'seed'),
      evalInterval: num(o, 'evalInterval'),
      snapshotEvery: o.snapshotEvery === null ? null : num(o, 'snapshotEvery'),
      attention: o.attention === 'soft' || o.attention === 'hard' ? o.attention : fail(`attention must be "soft" or "hard", got ${describe(o.attention)}`),
    };
  });
}

function strings(raw: unknown, name: string): string[] {
  if (!Array.isArray(raw) || raw.length > 1000 || !raw.every((x): x is string => typeof x === 'string' && x.length > 0)) {
    fail(`${name} must be an array of non-empty strings, got ${describe(raw)}`);
  }
  return [...raw];
}

/** More heads than any model has; a guard against absurd requests. */
const MAX_HEADS = 4096;

function headList(raw: unknown): HeadAddress[] {
  if (!Array.isArray(raw)) fail(`heads must be an array, got ${describe(raw)}`);
  if (raw.length === 0) fail('heads must name at least one head');
  if (raw.length > MAX_HEADS) fail(`heads holds ${raw.length} heads; at most ${MAX_HEADS} are accepted`);
  const out: HeadAddress[] = [];
  for (let i = 0; i < raw.length; i++) {
    out.push(
      within(`heads[${i}]`, () => {
        const item = record(raw[i], 'a head');
        return { layer: nonNegative(item, 'layer'), head: nonNegative(item, 'head') };
      }),
    );
  }
  return out;
}

function charRange(raw: unknown): CharRange {
  const item = record(raw, 'a range');
  const start = nonNegative(item, 'start');
  const end = nonNegative(item, 'end');
  if (end < start) fail(`it ends (${end}) before it starts (${start})`);
  return { start, end };
}

function ranges(raw: unknown): CharRange[] {
  if (!Array.isArray(raw)) fail(`ranges must be an array, got ${describe(raw)}`);
  if (raw.length > MAX_RANGES) fail(`ranges holds ${raw.length} ranges; at most ${MAX_RANGES} are accepted`);
  // A plain loop, not map: map skips the holes of a sparse array (structured clone keeps them).
  const out: CharRange[] = [];
  for (let i = 0; i < raw.length; i++) {
    out.push(within(`ranges[${i}]`, () => charRange(raw[i])));
  }
  return out;
}
