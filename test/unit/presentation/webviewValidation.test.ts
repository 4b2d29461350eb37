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

  it('reads stored UI state leniently: anything unreadable is null, not an exception', () => {
    assert.deepEqual(parseUiState(DEFAULT_UI_STATE), DEFAULT_UI_STATE);
    assert.equal(parseUiState(undefined), null);
    assert.equal(parseUiState({ smoothing: 0.5 }), null);
  });
});
