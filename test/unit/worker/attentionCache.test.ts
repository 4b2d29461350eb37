/** The attention-window cache: a byte budget with least-recently-used eviction, and edits. */

import assert from 'node:assert/strict';
import { AttentionCache, type WindowAttention } from '../../../src/worker/attentionCache';

function entry(documentKey: string, version: number, window: number, bytes: number, length = 4): WindowAttention {
  return { documentKey, version, window, start: window * 4, length, weights: [], scores: [], bytes };
}

describe('worker/attentionCache', () => {
  it('evicts the least recently used windows to stay within its byte budget', () => {
    const c = new AttentionCache(100);
    c.set(entry('a', 1, 0, 40));
    c.set(entry('a', 1, 1, 40));
    assert.ok(c.get('a', 1, 0 * 4, 4)); // now most recent
    c.set(entry('a', 1, 2, 40));
    assert.equal(c.get('a', 1, 1 * 4, 4), undefined);
    assert.ok(c.get('a', 1, 0 * 4, 4) && c.get('a', 1, 2 * 4, 4));
    assert.equal(c.bytes, 80);
  });

  it('does not cache a window larger than the whole budget', () => {
    const c = new AttentionCache(100);
    c.set(entry('a', 1, 0, 40));
    c.set(entry('a', 1, 1, 101));
    assert.equal(c.get('a', 1, 1 * 4, 4), undefined);
    assert.ok(c.get('a', 1, 0 * 4, 4));
    assert.equal(c.bytes, 40);
  });

  it('carries kept windows to a new version and drops the rest of the document', () => {
    const c = new AttentionCache(1000);
    for (let w = 0; w < 3; w++) c.set(entry('a', 1, w, 10));
    c.set(entry('b', 1, 0, 10));
    c.carryOver('a', 1, 2, (e) => e.window < 2);
    assert.ok(c.get('a', 2, 0 * 4, 4) && c.get('a', 2, 1 * 4, 4));
    assert.equal(c.get('a', 2, 2 * 4, 4), undefined);
    assert.equal(c.get('a', 1, 0 * 4, 4), undefined);
    assert.ok(c.get('b', 1, 0 * 4, 4));
    assert.equal(c.bytes, 30);
    c.dropDocument('a');
    assert.deepEqual([c.size, c.bytes], [1, 10]);
    c.clear();
    assert.deepEqual([c.size, c.bytes], [0, 0]);
  });
});
