import assert from 'node:assert/strict';
import { DocumentTokens } from '../../../src/host/documentTokens';
import type { TokenSlice } from '../../../src/protocol/common';

/** A slice for tokens with the given [start, end) spans, numbered from `first`. */
function slice(first: number, spans: [number, number][]): TokenSlice {
  return {
    first,
    ids: Int32Array.from(spans, (_, i) => i),
    starts: Int32Array.from(spans, (s) => s[0]),
    ends: Int32Array.from(spans, (s) => s[1]),
    labels: spans.map(() => 't'),
  };
}

describe('host/documentTokens: finding the token under the cursor', () => {
  // "ab cd🙂": tokens a b ␣ c d 🙂 (the emoji spans two UTF-16 units), after a BOS at [0, 0)
  const spans: [number, number][] = [
    [0, 0],
    [0, 1],
    [1, 2],
    [2, 3],
    [3, 4],
    [4, 5],
    [5, 7],
  ];
  const t = new DocumentTokens('untitled:1', 3, 7, 64, 32, true);
  t.add([slice(0, spans)]);

  it('maps offsets inside a token to it, skipping tokens that cover no text (BOS)', () => {
    assert.equal(t.tokenAt(0), 1);
    assert.equal(t.tokenAt(3), 4);
    assert.equal(t.tokenAt(5), 6);
    assert.equal(t.tokenAt(6), 6, 'the second half of a surrogate pair belongs to the emoji');
  });

  it('a cursor after the last character belongs to the last token; beyond the slices is unknown', () => {
    assert.equal(t.tokenAt(7), 6);
    assert.equal(t.tokenAt(8), -1);
  });

  it('a selection maps to the tokens it overlaps', () => {
    assert.deepEqual(t.tokensIn(1, 4), { from: 2, to: 5 });
    assert.deepEqual(t.tokensIn(5, 7), { from: 6, to: 7 });
  });

  it('knows which ranges its slices cover, across several slices', () => {
    const big = new DocumentTokens('file:///x', 1, 1000, 64, 32, true);
    big.add([
      slice(500, [
        [5000, 5003],
        [5003, 5010],
      ]),
      slice(0, [
        [0, 4],
        [4, 9],
      ]),
    ]);
    assert.equal(big.tokenAt(6), 1);
    assert.equal(big.tokenAt(5004), 501);
    assert.equal(
      big.covers([
        { start: 0, end: 9 },
        { start: 5000, end: 5010 },
      ]),
      true,
    );
    assert.equal(big.covers([{ start: 10, end: 20 }]), false);
  });
});
