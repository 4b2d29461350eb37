/**
 * Checks every message that arrives from the host before it is dispatched. The host is
 * trusted code, but the worker must never crash on a malformed message: a bad one becomes a
 * `failed` reply with code 'bad-request' (carrying its id when the id itself is readable).
 * What comes out is a freshly built message holding only the protocol's fields.
 *
 * Only shapes and types are checked here; whether values are usable (a preset name, a step
 * count's range) is decided by the engine and reported as 'bad-input'.
 */

import type { CharRange, HostToWorker, TrainRequestOptions } from '../protocol/workerProtocol';

export type ParsedMessage =
  | { readonly ok: true; readonly message: HostToWorker }
  | { readonly ok: false; readonly id: number | null; readonly reason: string };

/** More ranges than any editor shows at once; a guard against absurd requests. */
export const MAX_RANGES = 10_000;

class BadRequest extends Error {}

type Fields = Record<string, unknown>;

export function parseHostMessage(raw: unknown): ParsedMessage {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, id: null, reason: `a message must be an object, got ${describe(raw)}` };
  }
  const r = raw as Fields;
  const id = isId(r.id) ? r.id : null;
  try {
    if (id === null) throw new BadRequest(`"id" must be a safe integer, got ${describe(r.id)}`);
    return { ok: true, message: build(r, id) };
  } catch (e) {
    if (!(e instanceof BadRequest)) throw e;
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
      };
    case 'attention': {
      const from = nonNegative(r, 'from');
      const to = nonNegative(r, 'to');
      if (to <= from) throw new BadRequest(`"to" (${to}) must be greater than "from" (${from})`);
      return { type, id, documentKey: str(r, 'documentKey'), version: int(r, 'version'), from, to };
    }
    case 'closeDocument':
      return { type, id, documentKey: str(r, 'documentKey') };
    case 'memory':
      if (typeof r.collectGarbage !== 'boolean') throw new BadRequest(`"collectGarbage" must be a boolean, got ${describe(r.collectGarbage)}`);
      return { type, id, collectGarbage: r.collectGarbage };
    case 'attentionMatrix':
    case 'headStats':
    case 'rollout':
      return { type, id, documentKey: str(r, 'documentKey'), version: int(r, 'version'), token: nonNegative(r, 'token') };
    case 'headVectors':
      return { type, id, documentKey: str(r, 'documentKey'), version: int(r, 'version'), token: nonNegative(r, 'token'), layer: nonNegative(r, 'layer'), head: nonNegative(r, 'head') };
    default:
      throw new BadRequest(`unknown message type ${describe(type)}`);
  }
}

function trainOptions(raw: unknown): TrainRequestOptions {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new BadRequest(`"options" must be an object, got ${describe(raw)}`);
  const o = raw as Fields;
  return {
    preset: str(o, 'preset', 'options.'),
    steps: num(o, 'steps'),
    batchSize: o.batchSize === null ? null : num(o, 'batchSize'),
    learningRate: o.learningRate === null ? null : num(o, 'learningRate'),
    seed: num(o, 'seed'),
    evalInterval: num(o, 'evalInterval'),
  };
}

function ranges(raw: unknown): CharRange[] {
  if (!Array.isArray(raw)) throw new BadRequest(`"ranges" must be an array, got ${describe(raw)}`);
  if (raw.length > MAX_RANGES) throw new BadRequest(`"ranges" holds ${raw.length} ranges; at most ${MAX_RANGES} are accepted`);
  // A plain loop, not map: map skips the holes of a sparse array (structured clone keeps them).
  const out: CharRange[] = [];
  for (let i = 0; i < raw.length; i++) {
    const item: unknown = raw[i];
    if (typeof item !== 'object' || item === null) throw new BadRequest(`ranges[${i}] must be {start, end}, got ${describe(item)}`);
    const start = nonNegative(item as Fields, 'start', `ranges[${i}].`);
    const end = nonNegative(item as Fields, 'end', `ranges[${i}].`);
    if (end < start) throw new BadRequest(`ranges[${i}] ends (${end}) before it starts (${start})`);
    out.push({ start, end });
  }
  return out;
}

function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

function str(r: Fields, key: string, prefix = ''): string {
  const v = r[key];
  if (typeof v !== 'string') throw new BadRequest(`"${prefix}${key}" must be a string, got ${describe(v)}`);
  return v;
}

function nonEmpty(r: Fields, key: string): string {
  const v = str(r, key);
  if (v.length === 0) throw new BadRequest(`"${key}" must not be empty`);
  return v;
}

function int(r: Fields, key: string): number {
  const v = r[key];
  if (!isId(v)) throw new BadRequest(`"${key}" must be a safe integer, got ${describe(v)}`);
  return v;
}

function nonNegative(r: Fields, key: string, prefix = ''): number {
  const v = r[key];
  if (!isId(v) || v < 0) throw new BadRequest(`"${prefix}${key}" must be a non-negative integer, got ${describe(v)}`);
  return v;
}

/** Any number (range and finiteness are checked by resolveTrainOptions, as bad-input). */
function num(r: Fields, key: string): number {
  const v = r[key];
  if (typeof v !== 'number') throw new BadRequest(`"options.${key}" must be a number, got ${describe(v)}`);
  return v;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return `${typeof v} ${String(v)}`;
}
