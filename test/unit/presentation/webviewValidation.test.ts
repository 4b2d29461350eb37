/**
 * Messages from the dashboard webview are untrusted: each kind is accepted when well formed,
 * rebuilt without extra fields, and refused with a readable reason otherwise.
 */

import assert from 'node:assert/strict';
import { DEFAULT_UI_STATE } from '../../../src/protocol/webviewProtocol';
import { parseUiState, validateWebviewMessage } from '../../../src/presentation/webviewValidation';

function ok(raw: unknown): unknown {
  const r = validateWebviewMessage(raw);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.message;
}

function refused(raw: unknown, reason: RegExp): void {
  const r = validateWebviewMessage(raw);
  assert.equal(r.ok, false, `accepted ${JSON.stringify(raw)}`);
  if (!r.ok) assert.match(r.reason, reason);
}

describe('presentation: validation of webview messages', () => {
  it('accepts every well-formed message and drops fields it does not know', () => {
    assert.deepEqual(ok({ type: 'ready', protocolVersion: 1, extra: 'x' }), { type: 'ready', protocolVersion: 1 });
    assert.deepEqual(ok({ type: 'selectHead', layer: 2, head: 3 }), { type: 'selectHead', layer: 2, head: 3 });
    assert.deepEqual(ok({ type: 'selectTokens', documentKey: 'file:///a.txt', start: 4, end: 9 }), {
      type: 'selectTokens',
      documentKey: 'file:///a.txt',
      start: 4,
      end: 9,
    });
    assert.deepEqual(ok({ type: 'save', format: 'csv', suggestedName: 'loss (run 1).csv', data: 'a,b\r\n' }), {
      type: 'save',
      format: 'csv',
      suggestedName: 'loss (run 1).csv',
      data: 'a,b\r\n',
    });
    ok({ type: 'save', format: 'png', suggestedName: 'matrix.png', data: 'data:image/png;base64,iVBORw0KGgo=' });
    ok({ type: 'save', format: 'json', suggestedName: 'attention.json', data: '{"a":[1,2]}' });
    assert.deepEqual(ok({ type: 'persist', ui: { ...DEFAULT_UI_STATE, junk: 1 } }), { type: 'persist', ui: DEFAULT_UI_STATE });
    assert.deepEqual(ok({ type: 'error', message: 'x'.repeat(10_000) }), { type: 'error', message: 'x'.repeat(4000) });
  });

  it('refuses malformed messages with the reason', () => {
    refused(null, /must be an object/);
    refused([], /must be an object/);
    refused({ type: 'launchMissiles' }, /unknown message type "launchMissiles"/);
    refused({ type: 'selectHead', layer: -1, head: 0 }, /layer must be an integer/);
    refused({ type: 'selectHead', layer: 0.5, head: 0 }, /layer/);
    refused({ type: 'selectHead', layer: '1', head: 0 }, /layer/);
    refused({ type: 'selectTokens', documentKey: 'file:///a', start: 5, end: 2 }, /before start/);
    refused({ type: 'selectTokens', documentKey: 7, start: 0, end: 1 }, /documentKey must be a string/);
    refused({ type: 'selectTokens', documentKey: 'k'.repeat(9000), start: 0, end: 1 }, /characters/);
    refused({ type: 'persist', ui: { ...DEFAULT_UI_STATE, smoothing: 1 } }, /smoothing/);
    refused({ type: 'persist', ui: { ...DEFAULT_UI_STATE, xAxis: 'wall' } }, /xAxis must be one of step, time/);
    refused({ type: 'ready' }, /protocolVersion/);
  });

  it('refuses exports that could write elsewhere or are not what they claim', () => {
    for (const name of ['../evil.png', '/etc/passwd', 'a\\b.csv', '.hidden', 'x'.repeat(200), '', 'a/b.json', 'con..png']) {
      refused({ type: 'save', format: 'png', suggestedName: name, data: 'data:image/png;base64,AAAA' }, /suggestedName|characters/);
    }
    refused({ type: 'save', format: 'png', suggestedName: 'a.png', data: 'data:text/html;base64,AAAA' }, /PNG/);
    refused({ type: 'save', format: 'png', suggestedName: 'a.png', data: 'data:image/png;base64,<script>' }, /PNG/);
    refused({ type: 'save', format: 'json', suggestedName: 'a.json', data: '{nope' }, /does not parse/);
    refused({ type: 'save', format: 'exe', suggestedName: 'a.exe', data: '' }, /format must be one of/);
  });

  it('a custom head detector is rebuilt field by field; offsets are bounded and the regex short, safe and compiling', () => {
    const d = { rule: { kind: 'match', regex: '^ [A-Z]', junk: 1 }, method: 'abs', excludeBos: true, excludeCurrentToken: false, extra: 2 };
    assert.deepEqual(ok({ type: 'setHeadDetector', detector: d }), {
      type: 'setHeadDetector',
      detector: { rule: { kind: 'match', regex: '^ [A-Z]' }, method: 'abs', excludeBos: true, excludeCurrentToken: false },
    });
    assert.deepEqual(ok({ type: 'setHeadDetector', detector: null }), { type: 'setHeadDetector', detector: null });
    const base = { method: 'mul', excludeBos: false, excludeCurrentToken: false };
    for (const rule of [
      { kind: 'offset', offset: -65536 },
      { kind: 'occurrence', offset: 1 },
      { kind: 'position', position: 0 },
    ])
      ok({ type: 'setHeadDetector', detector: { ...base, rule } });
    const bad = (rule: unknown, reason: RegExp, fields: object = {}): void =>
      refused({ type: 'setHeadDetector', detector: { ...base, rule, ...fields } }, reason);
    bad({ kind: 'offset', offset: 65537 }, /detector: rule: offset must be an integer in \[-65536, 65536\]/);
    bad({ kind: 'offset', offset: 1.5 }, /offset/);
    bad({ kind: 'occurrence', offset: '1' }, /offset/);
    bad({ kind: 'position', position: -1 }, /position/);
    bad({ kind: 'match', regex: '(a+)+$' }, /exponential time: nested quantifier/);
    bad({ kind: 'match', regex: '(x|x)*y' }, /exponential time/);
    bad({ kind: 'match', regex: '(a*)\\1' }, /backreference/);
    bad({ kind: 'match', regex: 'a'.repeat(201) }, /201 characters; at most 200/);
    bad({ kind: 'match', regex: '' }, /empty/);
    bad({ kind: 'match', regex: '[' }, /does not compile/);
    bad({ kind: 'match', regex: 7 }, /regex must be a string/);
    bad({ kind: 'matrix', cells: [1, 0, 0, 1] }, /kind must be one of offset, occurrence, match, position/);
    bad(null, /rule must be an object/);
    bad({ kind: 'offset', offset: 1 }, /method must be one of mul, abs/, { method: 'max' });
    bad({ kind: 'offset', offset: 1 }, /excludeBos must be true or false/, { excludeBos: 1 });
    refused({ type: 'setHeadDetector' }, /detector must be an object/);
    // Kept in the UI state: absent in states kept before it existed, and checked like the message.
    const { detector: _, ...old } = DEFAULT_UI_STATE;
    assert.deepEqual(parseUiState(old), DEFAULT_UI_STATE);
    assert.deepEqual(parseUiState({ ...DEFAULT_UI_STATE, detector: { ...base, rule: { kind: 'offset', offset: 2 } } })?.detector, {
      ...base,
      rule: { kind: 'offset', offset: 2 },
    });
    assert.equal(parseUiState({ ...DEFAULT_UI_STATE, detector: { ...base, rule: { kind: 'match', regex: '(a|a)*' } } }), null);
  });

  it('reads stored UI state leniently: anything unreadable is null, not an exception', () => {
    assert.deepEqual(parseUiState(DEFAULT_UI_STATE), DEFAULT_UI_STATE);
    assert.equal(parseUiState(undefined), null);
    assert.equal(parseUiState({ smoothing: 0.5 }), null);
  });
});
