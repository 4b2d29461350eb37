/**
 * The sliding-window plan shared by the CLI, the worker and the host, against a brute force
 * written here: every window listed, and for each query the best window found by trying them all.
 */

import assert from 'node:assert/strict';
import { allWindows, effectiveStride, queriesOf, windowCount, windowForQuery, windowPlan } from '../../../src/protocol/contextWindows';

/** All windows [s, min(s + C, T)) for s = 0, S, 2S, … until one reaches T. */
function bruteWindows(T: number, C: number, S: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (let s = 0; ; s += S) {
    out.push({ start: s, end: Math.min(s + C, T) });
    if (s + C >= T) return out;
  }
}

function bruteBest(T: number, C: number, S: number, causal: boolean, q: number): number {
  const ws = bruteWindows(T, C, S);
  let best = -1;
  let score = -Infinity;
  ws.forEach((w, i) => {
    if (q < w.start || q >= w.end) return;
    const s = causal ? q - w.start : Math.min(q - w.start, w.end - 1 - q);
    if (s > score) {
      score = s;
      best = i;
    }
  });
  return best;
}

describe('protocol/contextWindows', () => {
  it('defaults the stride to half the context and clamps it to 1 … context', () => {
    assert.equal(effectiveStride(64, 0), 32);
    assert.equal(effectiveStride(64, 1000), 64);
    assert.equal(effectiveStride(1, 0), 1);
    assert.equal(effectiveStride(7, 3.7), 3);
  });

  it('lists the windows and picks, for every query, the window a brute force picks', () => {
    for (const T of [1, 5, 63, 64, 65, 100, 129, 200])
      for (const C of [1, 4, 16, 64])
        for (const S of [0, 1, 3, 7, 16, 64])
          for (const causal of [true, false]) {
            const p = windowPlan(T, C, S, causal);
            const brute = bruteWindows(T, C, p.stride);
            assert.deepEqual(
              allWindows(p).map((w) => ({ start: w.start, end: w.start + w.length })),
              brute,
              `T${T} C${C} S${S}`,
            );
            assert.equal(windowCount(p), brute.length);
            let covered = 0;
            for (let i = 0; i < brute.length; i++) {
              const { from, to } = queriesOf(p, i);
              assert.equal(from, covered, 'the windows own consecutive runs of queries');
              for (let q = from; q < to; q++) assert.equal(windowForQuery(p, q).index, i);
              covered = to;
            }
            assert.equal(covered, T);
            for (let q = 0; q < T; q++) {
              const w = windowForQuery(p, q);
              assert.equal(w.index, bruteBest(T, C, p.stride, causal, q), `T${T} C${C} S${p.stride} causal ${causal} q${q}`);
              if (causal && p.stride <= C / 2) assert.ok(q - w.start >= Math.min(q, C - p.stride), 'at least half a context before each query');
            }
          }
  });
});
