/**
 * Fuzz properties of the validators of messages and settings, which must never throw:
 * parseHostMessage (every message from the host into the worker, after a structured clone as
 * postMessage does), validateWebviewMessage (every message from the dashboard webview) and
 * parseSettings (the user's settings JSON). Inputs: hostile values, per-type messages whose
 * fields are by turns valid and hostile (sparse arrays, -0, NaN, 2^53 + 2, typed arrays,
 * `__proto__` keys, megabyte strings), and JSON mutations of valid messages. What they accept
 * must be exactly the protocol's shape: fresh plain objects, only known fields, dense arrays.
 */

import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { MAX_ERROR_CHARS, MAX_KEY_CHARS, MAX_SAVE_CHARS, validateWebviewMessage } from '../../../../src/presentation/webviewValidation';
import { DEFAULT_SETTINGS, SETTING_BOUNDS, parseSettings } from '../../../../src/protocol/settings';
import { isViewName, ON_DEMAND_VIEWS, VIEW_NAMES } from '../../../../src/protocol/dashboardViews';
import { DEFAULT_UI_STATE } from '../../../../src/protocol/webviewProtocol';
import { MAX_MATCHED_TEXT_CHARS, MAX_RULE_OFFSET, MAX_RULE_REGEX_CHARS } from '../../../../src/protocol/headRules';
import { unsafeRegexReason } from '../../../../src/protocol/regexSafety';
import { MAX_RANGES, parseHostMessage } from '../../../../src/worker/validate';
import { ReaderProbe, fieldsOf, hostileValue, isDense, jsonMutation, mutateJsonText, prop, type PropertySet } from '../harness';

/** Texts that make a backtracking regex try every split, at the longest a token is matched on. */
const TOKEN_TEXTS = ['a'.repeat(MAX_MATCHED_TEXT_CHARS), ' '.repeat(MAX_MATCHED_TEXT_CHARS - 1) + '!', 'ab'.repeat(MAX_MATCHED_TEXT_CHARS / 2 - 1) + '\u0000'];

/** An accepted custom head detector: only its fields, offsets bounded, a regex short, statically safe, compiling — and quick on hostile token texts. */
function checkDetector(d: unknown): void {
  assert.ok(isPlainRecord(d));
  keysAre(d, ['rule', 'method', 'excludeBos', 'excludeCurrentToken']);
  assert.ok(d.method === 'mul' || d.method === 'abs');
  assert.ok(typeof d.excludeBos === 'boolean' && typeof d.excludeCurrentToken === 'boolean');
  const r = d.rule;
  assert.ok(isPlainRecord(r));
  const bounded = (v: unknown, min: number): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= MAX_RULE_OFFSET;
  switch (r.kind) {
    case 'offset':
    case 'occurrence':
      keysAre(r, ['kind', 'offset']);
      assert.ok(bounded(r.offset, -MAX_RULE_OFFSET));
      break;
    case 'position':
      keysAre(r, ['kind', 'position']);
      assert.ok(bounded(r.position, 0));
      break;
    case 'match': {
      keysAre(r, ['kind', 'regex']);
      const source = r.regex as string;
      assert.ok(typeof source === 'string' && source.length > 0 && source.length <= MAX_RULE_REGEX_CHARS);
      assert.equal(unsafeRegexReason(source), null);
      // Within the probe's time bound, as the worker runs it.
      const re = new RegExp(source, 'u');
      for (const t of TOKEN_TEXTS) re.test(t);
      break;
    }
    default:
      assert.fail(`rule kind ${String(r.kind)}`);
  }
}

const regexArb = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('^ [A-Z]', '(a+)+$', '(a|a)*$', '(\\w+\\s?)*$', '(a*)\\1', '[', '', '.*', 'x'.repeat(201), '\\p{Lu}', '(?<n>a)\\k<n>', 'a{1,99999}'),
);

const ruleArb: fc.Arbitrary<unknown> = fc.oneof(
  fieldsOf({
    kind: fc.constantFrom('offset', 'occurrence'),
    offset: fc.oneof(fc.integer({ min: -70_000, max: 70_000 }), fc.constantFrom(0.5, NaN, 1e300, '1')),
  }),
  fieldsOf({ kind: fc.constant('position'), position: fc.oneof(fc.integer({ min: -5, max: 70_000 }), fc.constantFrom(Infinity, null)) }),
  fieldsOf({ kind: fc.constant('match'), regex: regexArb }),
  fieldsOf({ kind: fc.constantFrom('matrix', '__proto__', ''), cells: fc.array(fc.nat(1), { maxLength: 9 }) }),
);

const detectorArb: fc.Arbitrary<unknown> = fieldsOf({
  rule: ruleArb,
  method: fc.constantFrom('mul', 'abs', 'max', ''),
  excludeBos: fc.oneof(fc.boolean(), fc.constant('yes')),
  excludeCurrentToken: fc.boolean(),
});

const isPlainRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
const safeInt = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v);
const nonNeg = (v: unknown): boolean => safeInt(v) && (v as number) >= 0;

function keysAre(o: Record<string, unknown>, keys: readonly string[]): void {
  assert.deepEqual(Object.keys(o).sort(), [...keys].sort(), 'only the protocol fields');
}

// ---------------------------------------------------------------------------------------------
// host → worker

/** The accepted message is exactly a HostToWorker. */
export function checkHostMessage(m: unknown): void {
  assert.ok(isPlainRecord(m));
  assert.ok(safeInt(m.id), 'id');
  const str = (k: string): void => assert.equal(typeof m[k], 'string', k);
  const nonEmpty = (k: string): void => assert.ok(typeof m[k] === 'string' && (m[k] as string).length > 0, k);
  switch (m.type) {
    case 'train': {
      keysAre(m, ['type', 'id', 'text', 'options', 'checkpointPath', 'sourceName', 'probe']);
      str('text');
      nonEmpty('checkpointPath');
      str('sourceName');
      const o = m.options;
      assert.ok(isPlainRecord(o));
      keysAre(o, ['preset', 'steps', 'batchSize', 'learningRate', 'seed', 'evalInterval', 'attention', 'snapshotEvery']);
      assert.ok(o.snapshotEvery === null || typeof o.snapshotEvery === 'number', 'snapshotEvery');
      assert.equal(typeof o.preset, 'string');
      assert.ok(o.attention === 'soft' || o.attention === 'hard', 'attention');
      for (const k of ['steps', 'seed', 'evalInterval']) assert.equal(typeof o[k], 'number', k);
      for (const k of ['batchSize', 'learningRate']) assert.ok(o[k] === null || typeof o[k] === 'number', k);
      break;
    }
    case 'continueTraining':
      keysAre(m, ['type', 'id', 'text', 'checkpointPath', 'sourceName']);
      str('text');
      nonEmpty('checkpointPath');
      str('sourceName');
      break;
    case 'cancel':
      keysAre(m, ['type', 'id', 'target']);
      assert.ok(safeInt(m.target));
      break;
    case 'load':
      keysAre(m, ['type', 'id', 'path', 'tokenizerPath']);
      nonEmpty('path');
      assert.ok(m.tokenizerPath === null || (typeof m.tokenizerPath === 'string' && m.tokenizerPath.length > 0));
      break;
    case 'save':
      keysAre(m, ['type', 'id', 'path']);
      nonEmpty('path');
      break;
    case 'tokens': {
      keysAre(m, ['type', 'id', 'documentKey', 'version', 'text', 'ranges', 'windowStride']);
      str('documentKey');
      assert.ok(safeInt(m.version));
      assert.ok(m.text === null || typeof m.text === 'string');
      const ranges = m.ranges as unknown[];
      assert.ok(Array.isArray(ranges) && ranges.length <= MAX_RANGES && isDense(ranges), 'ranges: a dense array');
      for (const r of ranges) {
        assert.ok(isPlainRecord(r));
        keysAre(r, ['start', 'end']);
        assert.ok(nonNeg(r.start) && nonNeg(r.end) && (r.end as number) >= (r.start as number));
      }
      break;
    }
    case 'attention':
      keysAre(
        m,
        'weighting' in m ? ['type', 'id', 'documentKey', 'version', 'from', 'to', 'weighting'] : ['type', 'id', 'documentKey', 'version', 'from', 'to'],
      );
      str('documentKey');
      assert.ok(safeInt(m.version) && nonNeg(m.from) && nonNeg(m.to) && (m.to as number) > (m.from as number));
      assert.ok(!('weighting' in m) || m.weighting === 'attention' || m.weighting === 'valueWeighted');
      break;
    case 'ablate': {
      keysAre(m, ['type', 'id', 'documentKey', 'version', 'token', 'heads', 'mode']);
      str('documentKey');
      assert.ok(safeInt(m.version) && nonNeg(m.token) && (m.mode === 'zero' || m.mode === 'mean'));
      const heads = m.heads as unknown[];
      assert.ok(Array.isArray(heads) && heads.length > 0 && isDense(heads), 'heads: a dense, non-empty array');
      for (const h of heads) {
        assert.ok(isPlainRecord(h));
        keysAre(h, ['layer', 'head']);
        assert.ok(nonNeg(h.layer) && nonNeg(h.head));
      }
      break;
    }
    case 'attribute':
      keysAre(m, ['type', 'id', 'documentKey', 'version', 'token', 'method']);
      str('documentKey');
      assert.ok(safeInt(m.version) && nonNeg(m.token) && (m.method === 'ig' || m.method === 'grad'));
      break;
    case 'closeDocument':
      keysAre(m, ['type', 'id', 'documentKey']);
      str('documentKey');
      break;
    case 'memory':
      keysAre(m, ['type', 'id', 'collectGarbage']);
      assert.ok(typeof m.collectGarbage === 'boolean');
      break;
    case 'view':
      keysAre(m, ['type', 'id', 'view', 'documentKey', 'version', 'token', 'layer', 'head', ...(m.view === 'customHeads' ? ['detector'] : [])]);
      assert.ok(isViewName(m.view), 'a known view');
      if (m.view === 'customHeads') checkDetector(m.detector);
      str('documentKey');
      assert.ok(safeInt(m.version) && nonNeg(m.token) && nonNeg(m.layer) && nonNeg(m.head));
      break;
    case 'generate':
      keysAre(m, ['type', 'id', 'prompt', 'maxTokens', 'temperature', 'topP', 'seed', 'topK']);
      str('prompt');
      assert.ok(safeInt(m.maxTokens) && (m.maxTokens as number) >= 1 && typeof m.temperature === 'number' && typeof m.topP === 'number');
      assert.ok(nonNeg(m.seed) && safeInt(m.topK) && (m.topK as number) >= 1);
      break;
    case 'compare': {
      keysAre(m, ['type', 'id', 'documentKey', 'with']);
      str('documentKey');
      const w = m.with as Record<string, unknown> | null;
      if (w !== null) {
        assert.ok(isPlainRecord(w));
        if (w.kind === 'edit') keysAre(w, ['kind', 'documentKey', 'token', 'label']);
        else if (w.kind === 'checkpoint') keysAre(w, ['kind', 'path', 'tokenizerPath', 'label']);
        else assert.fail(`accepted a comparison of kind ${String(w.kind)}`);
      }
      break;
    }
    default:
      assert.fail(`accepted unknown type ${String(m.type)}`);
  }
}

const goodId = fc.oneof(fc.nat(), fc.constantFrom(0, 2 ** 53 - 1, -(2 ** 53) + 1));
const hostMessages: fc.Arbitrary<unknown> = fc.oneof(
  fieldsOf({
    type: fc.constant('train'),
    id: goodId,
    text: fc.string(),
    checkpointPath: fc.string({ minLength: 1 }),
    sourceName: fc.string(),
    options: fieldsOf({
      preset: fc.constantFrom('tiny', 'seed', 'huge'),
      steps: fc.integer(),
      batchSize: fc.option(fc.integer()),
      learningRate: fc.option(fc.double()),
      seed: fc.nat(),
      evalInterval: fc.integer(),
      attention: fc.constantFrom('soft', 'hard', 'medium'),
      snapshotEvery: fc.option(fc.integer()),
    }),
    probe: fc.option(fieldsOf({ start: fc.integer(), end: fc.integer() })),
  }),
  fieldsOf({ type: fc.constant('continueTraining'), id: goodId, text: fc.string(), checkpointPath: fc.string(), sourceName: fc.string() }),
  fieldsOf({ type: fc.constant('cancel'), id: goodId, target: goodId }),
  fieldsOf({ type: fc.constant('load'), id: goodId, path: fc.string({ minLength: 1 }), tokenizerPath: fc.option(fc.string()) }),
  fieldsOf({ type: fc.constant('save'), id: goodId, path: fc.string() }),
  fieldsOf({
    type: fc.constant('tokens'),
    id: goodId,
    documentKey: fc.string(),
    version: fc.integer(),
    text: fc.option(fc.string()),
    ranges: fc.oneof(
      fc.array(fieldsOf({ start: fc.nat(100), end: fc.nat(100) }), { maxLength: 4 }),
      fc.sparseArray(fc.record({ start: fc.nat(100), end: fc.nat(100) }), { maxLength: 6 }),
      fc.constantFrom(new Array(3), new Array(MAX_RANGES + 1).fill({ start: 0, end: 0 })),
    ),
  }),
  fieldsOf({ type: fc.constant('attention'), id: goodId, documentKey: fc.string(), version: fc.integer(), from: fc.nat(100), to: fc.nat(100) }),
  fieldsOf({
    type: fc.constant('attention'),
    id: goodId,
    documentKey: fc.string(),
    version: fc.integer(),
    from: fc.nat(100),
    to: fc.nat(100),
    weighting: fc.constantFrom('attention', 'valueWeighted', 'softmax', ''),
  }),
  fieldsOf({
    type: fc.constant('ablate'),
    id: goodId,
    documentKey: fc.string(),
    version: fc.integer(),
    token: fc.nat(100),
    heads: fc.oneof(
      fc.array(fieldsOf({ layer: fc.nat(8), head: fc.nat(8) }), { maxLength: 4 }),
      fc.sparseArray(fc.record({ layer: fc.nat(8), head: fc.nat(8) }), { maxLength: 4 }),
    ),
    mode: fc.constantFrom('zero', 'mean', 'resample'),
  }),
  fieldsOf({
    type: fc.constant('attribute'),
    id: goodId,
    documentKey: fc.string(),
    version: fc.integer(),
    token: fc.nat(100),
    method: fc.constantFrom('ig', 'grad', 'lime'),
  }),
  fieldsOf({ type: fc.constant('closeDocument'), id: goodId, documentKey: fc.string() }),
  fieldsOf({ type: fc.constant('memory'), id: goodId, collectGarbage: fc.boolean() }),
  fieldsOf({
    type: fc.constant('view'),
    id: goodId,
    view: fc.constantFrom(...VIEW_NAMES, 'attentionMatrix', 'toString', '__proto__'),
    documentKey: fc.string(),
    version: fc.integer(),
    token: fc.nat(100),
    layer: fc.nat(8),
    head: fc.nat(8),
  }),
  fieldsOf({
    type: fc.constant('generate'),
    id: goodId,
    prompt: fc.string(),
    maxTokens: fc.integer(),
    temperature: fc.double(),
    topP: fc.double(),
    seed: fc.integer(),
    topK: fc.integer({ min: -2, max: 200 }),
  }),
  fieldsOf({
    type: fc.constant('compare'),
    id: goodId,
    documentKey: fc.string(),
    with: fc.oneof(
      fc.constant(null),
      fieldsOf({ kind: fc.constantFrom('edit', 'other'), documentKey: fc.string(), token: fc.integer(), label: fc.string() }),
      fieldsOf({ kind: fc.constant('checkpoint'), path: fc.string(), tokenizerPath: fc.option(fc.string()), label: fc.string() }),
    ),
  }),
);

const VALID_HOST_MESSAGES = [
  {
    type: 'train',
    id: 1,
    text: 'abc',
    options: { preset: 'tiny', steps: 3, batchSize: null, learningRate: 0.001, seed: 1, evalInterval: 1, attention: 'soft', snapshotEvery: null },
    checkpointPath: '/tmp/x',
    sourceName: 'a.txt',
    probe: { start: 0, end: 2 },
  },
  {
    type: 'tokens',
    id: 2,
    windowStride: 16,
    documentKey: 'file:///a',
    version: 3,
    text: 'hello',
    ranges: [
      { start: 0, end: 2 },
      { start: 1, end: 5 },
    ],
  },
  { type: 'attention', id: 3, documentKey: 'file:///a', version: 3, from: 0, to: 1 },
  { type: 'load', id: 4, path: '/m.bin', tokenizerPath: null },
  { type: 'view', id: 5, view: 'why', documentKey: 'file:///a', version: 3, token: 2, layer: 1, head: 0 },
  { type: 'generate', id: 6, prompt: 'the ', maxTokens: 8, temperature: 0.8, topP: 0.9, seed: 1, topK: 5 },
  { type: 'compare', id: 7, documentKey: 'untitled:1', with: { kind: 'edit', documentKey: 'file:///a', token: 0, label: 'original' } },
  { type: 'attention', id: 8, documentKey: 'file:///a', version: 3, from: 0, to: 2, weighting: 'valueWeighted' },
  { type: 'ablate', id: 9, documentKey: 'file:///a', version: 3, token: 1, heads: [{ layer: 0, head: 1 }], mode: 'zero' },
  { type: 'attribute', id: 10, documentKey: 'file:///a', version: 3, token: 1, method: 'grad' },
];

export function hostMessageProperties(probe: ReaderProbe): PropertySet {
  const read = (raw: unknown): void => {
    // As postMessage delivers it: a structured clone (keeps holes, -0, typed arrays, Maps, own __proto__ keys).
    let cloned: unknown;
    try {
      cloned = structuredClone(raw);
    } catch {
      fc.pre(false); // too deep to clone (postMessage would refuse to send it): skipped, not counted as a run
      return;
    }
    const r = probe.check(0, () => parseHostMessage(cloned))!;
    probe.note(r.ok ? 'accepted' : 'refused');
    if (r.ok) checkHostMessage(r.message);
    else {
      assert.ok(typeof r.reason === 'string' && r.reason.length > 0 && r.reason.length <= 500, `reason of ${r.reason.length} characters`);
      assert.ok(r.id === null || safeInt(r.id));
    }
  };
  return {
    'hostile values as the message': prop(0.2, fc.property(hostileValue, read)),
    'every message type with fields by turns valid, hostile, missing or extra': prop(0.6, fc.property(hostMessages, read)),
    // Its own property: a new field in hostMessages' arbitraries would change what the kept replays test.
    'customHeads view requests with detectors by turns valid and hostile (unsafe regexes, unbounded offsets)': prop(
      0.15,
      fc.property(
        fieldsOf({
          type: fc.constant('view'),
          id: fc.nat(1000),
          view: fc.constant('customHeads'),
          documentKey: fc.string(),
          version: fc.integer(),
          token: fc.nat(100),
          layer: fc.nat(8),
          head: fc.nat(8),
          detector: detectorArb,
        }),
        read,
      ),
    ),
    'JSON mutations of valid messages': prop(
      0.25,
      fc.property(fc.constantFrom(...VALID_HOST_MESSAGES), fc.array(jsonMutation, { minLength: 1, maxLength: 3 }), (m, ms) => {
        let raw: unknown;
        try {
          raw = JSON.parse(ms.reduce(mutateJsonText, JSON.stringify(m)));
        } catch {
          fc.pre(false); // not JSON: skipped, and not counted as a run
        }
        read(raw);
      }),
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// webview → host

/** The accepted message is exactly a WebviewToHost. */
export function checkWebviewMessage(m: unknown): void {
  assert.ok(isPlainRecord(m));
  const intIn = (v: unknown, max: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
  switch (m.type) {
    case 'ready':
      keysAre(m, ['type', 'protocolVersion']);
      assert.ok(intIn(m.protocolVersion, 1 << 16));
      break;
    case 'selectHead':
      keysAre(m, ['type', 'layer', 'head']);
      assert.ok(intIn(m.layer, 1 << 16) && intIn(m.head, 1 << 16));
      break;
    case 'selectTokens':
      keysAre(m, ['type', 'documentKey', 'start', 'end']);
      assert.ok(typeof m.documentKey === 'string' && m.documentKey.length <= MAX_KEY_CHARS);
      assert.ok(intIn(m.start, 2 ** 31 - 1) && intIn(m.end, 2 ** 31 - 1) && (m.end as number) >= (m.start as number));
      break;
    case 'save': {
      keysAre(m, ['type', 'format', 'suggestedName', 'data']);
      assert.ok(['png', 'csv', 'json'].includes(m.format as string));
      const name = m.suggestedName as string;
      assert.ok(
        typeof name === 'string' && name.length <= 120 && !name.includes('/') && !name.includes('\\') && !name.includes('..') && !/^[.\s]/.test(name),
        `file name ${JSON.stringify(name)}`,
      );
      assert.ok(typeof m.data === 'string' && m.data.length <= MAX_SAVE_CHARS);
      if (m.format === 'json') JSON.parse(m.data);
      if (m.format === 'png') assert.match(m.data, /^data:image\/png;base64,/);
      break;
    }
    case 'persist': {
      keysAre(m, ['type', 'ui']);
      const ui = m.ui;
      assert.ok(isPlainRecord(ui));
      keysAre(ui, Object.keys(DEFAULT_UI_STATE));
      for (const [k, v] of Object.entries(DEFAULT_UI_STATE)) assert.equal(typeof ui[k], typeof v, `ui.${k}`);
      if (ui.detector !== null) checkDetector(ui.detector);
      assert.ok((ui.smoothing as number) >= 0 && (ui.smoothing as number) <= 0.999);
      break;
    }
    case 'error':
      keysAre(m, ['type', 'message']);
      assert.ok(typeof m.message === 'string' && m.message.length <= MAX_ERROR_CHARS);
      break;
    case 'computeView':
      keysAre(m, ['type', 'view']);
      assert.ok(isViewName(m.view) && ON_DEMAND_VIEWS.has(m.view), 'an on-demand view');
      break;
    case 'scrub':
      keysAre(m, ['type', 'step']);
      assert.ok(m.step === null || (typeof m.step === 'number' && Number.isSafeInteger(m.step) && m.step >= 0), 'a step ≥ 0 or null');
      break;
    case 'forgetRun':
      keysAre(m, ['type', 'id']);
      assert.ok(typeof m.id === 'string' && m.id.length <= MAX_KEY_CHARS);
      break;
    case 'setHeadDetector':
      keysAre(m, ['type', 'detector']);
      if (m.detector !== null) checkDetector(m.detector);
      break;
    case 'setDirection':
      keysAre(m, ['type', 'direction']);
      assert.ok(m.direction === 'attendsTo' || m.direction === 'attendedBy');
      break;
    default:
      // A message type added since this test was written: at least a plain object with a string type.
      assert.equal(typeof m.type, 'string');
  }
}

function uiStateArb(): fc.Arbitrary<Record<string, unknown>> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [k, v] of Object.entries(DEFAULT_UI_STATE)) {
    fields[k] =
      typeof v === 'boolean'
        ? fc.boolean()
        : typeof v === 'number'
          ? fc.oneof(fc.double({ min: 0, max: 1 }), fc.constantFrom(0, 0.999, 1, -0, NaN))
          : fc.constantFrom(v, 'step', 'time', 'head', 'global', 'entropy', 'keys50', 'previous_token', 'bogus');
  }
  fields.detector = fc.oneof(fc.constant(null), detectorArb);
  return fieldsOf(fields);
}

const webviewMessages: fc.Arbitrary<unknown> = fc.oneof(
  fieldsOf({ type: fc.constant('ready'), protocolVersion: fc.nat(3) }),
  fieldsOf({ type: fc.constant('selectHead'), layer: fc.nat(40), head: fc.nat(40) }),
  fieldsOf({ type: fc.constant('computeView'), view: fc.constantFrom(...VIEW_NAMES, 'constructor', '') }),
  fieldsOf({ type: fc.constant('selectTokens'), documentKey: fc.string(), start: fc.nat(1000), end: fc.nat(1000) }),
  fieldsOf({
    type: fc.constant('save'),
    format: fc.constantFrom('png', 'csv', 'json', 'exe'),
    suggestedName: fc.oneof(
      fc.constantFrom(
        'loss.csv',
        'a (1).png',
        '../../etc/passwd',
        '..',
        '.bashrc',
        'a/b.csv',
        'a\\b.csv',
        'C:\\x',
        ' x',
        'x'.repeat(121),
        'na\u0000me',
        'ok..csv',
        '~/x',
      ),
      fc.string({ maxLength: 20 }),
    ),
    data: fc.oneof(
      fc.string(),
      fc.constantFrom('{"a":1}', '{', 'data:image/png;base64,iVBORw0KGgo=', 'data:image/png;base64,<script>', 'data:text/html;base64,AAAA'),
    ),
  }),
  fieldsOf({ type: fc.constant('persist'), ui: uiStateArb() }),
  fieldsOf({ type: fc.constant('forgetRun'), id: fc.oneof(fc.string(), fc.constantFrom('run-1', 'checkpoint:/m/a.safetensors', 'x'.repeat(9000))) }),
  fieldsOf({ type: fc.constant('setHeadDetector'), detector: fc.oneof(fc.constant(null), detectorArb) }),
  fieldsOf({
    type: fc.constant('scrub'),
    step: fc.oneof(fc.constant(null), fc.integer({ min: -5, max: 1e6 }), fc.double(), fc.string(), fc.constant(undefined)),
  }),
  fieldsOf({ type: fc.constant('setDirection'), direction: fc.constantFrom('attendsTo', 'attendedBy', 'rows', '', 'constructor') }),
  fieldsOf({
    type: fc.constant('error'),
    message: fc.oneof(
      fc.string(),
      fc.integer({ min: 0, max: 100_000 }).map((n) => 'e'.repeat(n)),
    ),
  }),
);

export function webviewMessageProperties(probe: ReaderProbe): PropertySet {
  const read = (raw: unknown): void => {
    const r = probe.check(0, () => validateWebviewMessage(raw))!;
    probe.note(r.ok ? 'accepted' : 'refused');
    if (r.ok) checkWebviewMessage(r.message);
    else assert.ok(typeof r.reason === 'string' && r.reason.length > 0 && r.reason.length <= 500, `reason of ${r.reason.length} characters`);
  };
  return {
    'hostile values as the message': prop(0.2, fc.property(hostileValue, read)),
    'every message type with fields by turns valid, hostile, missing or extra (path-like file names, fake PNGs)': prop(0.6, fc.property(webviewMessages, read)),
    'JSON mutations of valid messages (webview messages arrive as JSON)': prop(
      0.2,
      fc.property(
        fc.constantFrom<unknown>(
          { type: 'persist', ui: DEFAULT_UI_STATE },
          { type: 'save', format: 'json', suggestedName: 'a.json', data: '{"x":[1,2]}' },
          { type: 'selectTokens', documentKey: 'file:///a', start: 1, end: 2 },
          { type: 'setHeadDetector', detector: { rule: { kind: 'match', regex: '^ [a-z]+$' }, method: 'abs', excludeBos: true, excludeCurrentToken: false } },
          { type: 'setHeadDetector', detector: { rule: { kind: 'occurrence', offset: 1 }, method: 'mul', excludeBos: false, excludeCurrentToken: false } },
        ),
        fc.array(jsonMutation, { minLength: 1, maxLength: 3 }),
        (m, ms) => {
          let raw: unknown;
          try {
            raw = JSON.parse(ms.reduce(mutateJsonText, JSON.stringify(m)));
          } catch {
            fc.pre(false); // not JSON: skipped, and not counted as a run
          }
          read(raw);
        },
      ),
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// settings

type Leaf = { group: string; key: string; def: unknown };
const LEAVES: Leaf[] = Object.entries(DEFAULT_SETTINGS).flatMap(([group, values]) =>
  Object.entries(values as object).map(([key, def]) => ({ group, key, def })),
);
const ENUMS: Record<string, readonly string[]> = {
  'training.preset': ['seed', 'tiny', 'small'],
  'training.attention': ['soft', 'hard'],
  'attention.aggregation': ['head', 'mean', 'max'],
  'attention.direction': ['attendsTo', 'attendedBy'],
  'attention.normalization': ['rowMax', 'absolute'],
  'generation.into': ['document', 'preview', 'ask'],
};
const INTEGER_SETTINGS = new Set([
  'training.snapshotEvery',
  'training.steps',
  'training.batchSize',
  'training.seed',
  'training.evalInterval',
  'hover.topK',
  'generation.maxTokens',
]);

/** Documented contract: usable values, clamped; wrong types and unknown enum values give the default. */
export function checkSettings(raw: unknown, s: ReturnType<typeof parseSettings>): void {
  assert.deepEqual(Object.keys(s), Object.keys(DEFAULT_SETTINGS));
  const section = (g: string): Record<string, unknown> => {
    const v = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[g] : undefined;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  };
  for (const { group, key, def } of LEAVES) {
    const path = `${group}.${key}`;
    const out = (s as unknown as Record<string, Record<string, unknown>>)[group]![key];
    const input = section(group)[key];
    const bounds = (SETTING_BOUNDS as Record<string, readonly [number, number]>)[path];
    if (bounds) {
      const nullable = def === null;
      if (out === null) assert.ok(nullable, `${path} is null`);
      else {
        assert.ok(typeof out === 'number' && out >= bounds[0] && out <= bounds[1], `${path} = ${String(out)}`);
        if (INTEGER_SETTINGS.has(path)) assert.ok(Number.isInteger(out), `${path} = ${out}`);
      }
      if (typeof input !== 'number' || !Number.isFinite(input)) assert.equal(out, def, `${path}: ${describeInput(input)} must give the default ${String(def)}`);
    } else if (ENUMS[path]) {
      assert.ok(ENUMS[path]!.includes(out as string));
      if (!ENUMS[path]!.includes(input as string)) assert.equal(out, def, path);
    } else if (typeof def === 'boolean') {
      assert.equal(out, typeof input === 'boolean' ? input : def, path);
    } else if (path === 'decorations.color') {
      assert.ok(out === null || /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(out as string), `${path} = ${String(out)}`);
    }
  }
}

function describeInput(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v.slice(0, 20)) : Array.isArray(v) ? 'an array' : typeof v === 'object' && v !== null ? 'an object' : String(v);
}

export function settingsProperties(probe: ReaderProbe): PropertySet {
  const read = (raw: unknown): void => {
    const s = probe.check(0, () => parseSettings(raw))!;
    checkSettings(raw, s);
  };
  const groups: Record<string, fc.Arbitrary<unknown>> = {};
  for (const group of Object.keys(DEFAULT_SETTINGS)) {
    const fields: Record<string, fc.Arbitrary<unknown>> = {};
    for (const { key, def } of LEAVES.filter((l) => l.group === group)) {
      const path = `${group}.${key}`;
      fields[key] = ENUMS[path]
        ? fc.constantFrom(...ENUMS[path]!, 'bogus')
        : typeof def === 'boolean'
          ? fc.boolean()
          : path === 'decorations.color'
            ? fc.constantFrom('#ff8800', ' #abc ', '#GGG', 'red', 'url(javascript:1)', '', null)
            : fc.oneof(fc.double(), fc.integer(), fc.constantFrom(null, -0, NaN, Infinity, 1e-7, 0.5, 2 ** 53, '3', '1e-3', true));
    }
    groups[group] = fieldsOf(fields);
  }
  return {
    'hostile values as the settings object': prop(0.2, fc.property(hostileValue, read)),
    'every setting by turns valid, out of range, of the wrong type or missing': prop(0.8, fc.property(fieldsOf(groups), read)),
  };
}
