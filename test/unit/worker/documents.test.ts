/**
 * The session's document requests on a real (untrained) model: token slices for character
 * ranges, staleness, context windows, and attention rows/columns/scores checked against a
 * direct forward pass of the engine.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Transformer } from '../../../src/engine/nn/transformer';
import { CharTokenizer } from '../../../src/engine/tokenizer/charTokenizer';
import { Harness, SAMPLE_TEXT, tempDir, writeCheckpoint, type Msg } from './harness';

const DOC = 'file:///notes.txt';

/**
 * Counts the calls of a prototype method (the real method still runs) and the characters of
 * their first argument when it is a string: how much work the session did, observed rather
 * than timed.
 */
function countCalls(proto: object, key: string): { calls: number; chars: number; restore(): void } {
  const target = proto as Record<string, unknown>;
  const real = target[key] as (...args: unknown[]) => unknown;
  const counter = {
    calls: 0,
    chars: 0,
    restore: () => {
      target[key] = real;
    },
  };
  target[key] = function (this: unknown, ...args: unknown[]): unknown {
    counter.calls++;
    if (typeof args[0] === 'string') counter.chars += args[0].length;
    return real.apply(this, args);
  };
  return counter;
}

describe('worker/session: documents', function () {
  this.timeout(60_000);
  let dir: string;
  let ckpt: string;
  let model: Transformer;
  let tokenizer: CharTokenizer;
  // Longer than two windows of the tiny preset (context 64), with an emoji (one token, two code units).
  const text = `${SAMPLE_TEXT}${SAMPLE_TEXT.slice(0, 40)} 😀 ok`;

  before(() => {
    dir = tempDir();
    ckpt = path.join(dir, 'tiny.safetensors');
    ({ model, tokenizer } = writeCheckpoint(ckpt, 'tiny', text));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function loaded(): Promise<Harness> {
    const h = new Harness();
    await h.expect(h.request({ type: 'load', path: ckpt, tokenizerPath: null }), 'modelLoaded');
    return h;
  }

  async function tokens(h: Harness, ranges: { start: number; end: number }[], version = 1, t: string | null = text, windowStride = 0): Promise<Msg<'tokens'>> {
    return h.expect(h.request({ type: 'tokens', windowStride, documentKey: DOC, version, text: t, ranges }), 'tokens');
  }

  it('replies with the tokens overlapping each range, whose spans match the text', async () => {
    const h = await loaded();
    const emoji = text.indexOf('😀');
    const r = await tokens(h, [
      { start: 0, end: 5 },
      { start: 4, end: 9 },
      { start: emoji, end: emoji + 1 },
      { start: 10, end: 10 },
      { start: text.length + 5, end: text.length + 9 },
    ]);
    assert.equal(r.documentKey, DOC);
    assert.equal(r.version, 1);
    assert.equal(r.windowSize, 64);
    assert.equal(r.tokenCount, [...text].length);
    const [a, b, c, cursor, beyond] = r.slices;
    assert.equal(a!.first, 0);
    assert.deepEqual(Array.from(a!.starts), [0, 1, 2, 3, 4]);
    assert.deepEqual(
      a!.labels,
      Array.from(a!.ids, (id) => tokenizer.tokenLabel(id)),
    );
    assert.equal(b!.first, 4);
    for (const s of r.slices) {
      for (let i = 0; i < s.ids.length; i++) {
        assert.equal(tokenizer.decode([s.ids[i]!]), text.slice(s.starts[i], s.ends[i]), `token ${s.first + i}`);
      }
    }
    // Half of a surrogate pair selects the whole emoji: one token, two code units.
    assert.deepEqual([c!.ids.length, c!.starts[0], c!.ends[0]], [1, emoji, emoji + 2]);
    assert.deepEqual([cursor!.first, cursor!.ids.length, cursor!.starts[0]], [10, 1, 10]);
    assert.deepEqual([beyond!.first, beyond!.ids.length], [r.tokenCount, 0]);
    // The typed arrays are transferred.
    const transfer = h.transfers[h.messages.indexOf(r)]!;
    assert.ok(transfer.includes(a!.ids.buffer as ArrayBuffer) && transfer.includes(c!.ends.buffer as ArrayBuffer));
  });

  it('reuses the held text for text: null, and replies stale for any other version', async () => {
    const h = await loaded();
    await tokens(h, [{ start: 0, end: 3 }], 7);
    const again = await tokens(h, [{ start: 0, end: 3 }], 7, null);
    assert.equal(again.tokenCount, [...text].length);
    await h.expectFailure(h.request({ type: 'tokens', windowStride: 0, documentKey: DOC, version: 8, text: null, ranges: [] }), 'stale');
    await h.expectFailure(h.request({ type: 'tokens', windowStride: 0, documentKey: 'file:///never-sent', version: 1, text: null, ranges: [] }), 'stale');
    await h.expectFailure(h.request({ type: 'attention', documentKey: DOC, version: 6, from: 0, to: 1 }), 'stale');
    // A new version with its text replaces the old one.
    const edited = await tokens(h, [{ start: 0, end: 3 }], 8, `X${text}`);
    assert.equal(edited.tokenCount, [...text].length + 1);
    await h.expectFailure(h.request({ type: 'attention', documentKey: DOC, version: 7, from: 0, to: 1 }), 'stale');
  });

  it('answers attention for a query range in its sliding window, matching a direct forward pass over exactly that slice', async () => {
    const h = await loaded();
    const t = await tokens(h, [{ start: 0, end: 0 }]);
    assert.equal(t.windowStride, 32, 'default: half the context');
    const ids = tokenizer.encode(text).ids;
    const { nLayers: L, nHeads: H } = model.config;
    // Query 70 is read in the window that gives it the most earlier tokens: [32, 96), where it is local token 38.
    const a = await h.expect(h.request({ type: 'attention', documentKey: DOC, version: 1, from: 70, to: 73 }), 'attentionRows');
    assert.deepEqual([a.from, a.to, a.windowStart, a.windowLength, a.layers, a.heads], [70, 73, 32, 64, L, H]);
    assert.equal(a.rows.length, L * H * 64);
    assert.equal(a.columns.length, L * H * 64);
    assert.equal(a.scores.length, L * H * 64);
    assert.equal(a.window.first, 32);
    assert.deepEqual(Array.from(a.window.ids), Array.from(ids.subarray(32, 96)));

    const direct = model.forward(null, ids.subarray(32, 96), 1, 64, { capture: { attention: true, scores: true } });
    for (let l = 0; l < L; l++) {
      const A = direct.layers[l]!.attention!;
      const S = direct.layers[l]!.scores!;
      for (let h2 = 0; h2 < H; h2++) {
        const o = (l * H + h2) * 64;
        let sum = 0;
        for (let k = 0; k < 64; k++) {
          const mean = (A[(h2 * 64 + 38) * 64 + k]! + A[(h2 * 64 + 39) * 64 + k]! + A[(h2 * 64 + 40) * 64 + k]!) / 3;
          assert.ok(Math.abs(a.rows[o + k]! - mean) < 1e-6, `row l${l} h${h2} k${k}`);
          if (k > 40) assert.equal(a.rows[o + k], 0, 'keys after the last query get nothing');
          sum += a.rows[o + k]!;
          // A selection is the query both ways: the mean over its tokens 38..40 (worker/attention.ts).
          const col = (A[(h2 * 64 + k) * 64 + 38]! + A[(h2 * 64 + k) * 64 + 39]! + A[(h2 * 64 + k) * 64 + 40]!) / 3;
          assert.ok(Math.abs(a.columns[o + k]! - col) < 1e-6, `column l${l} h${h2} k${k}`);
          if (k > 40) assert.equal(a.scores[o + k], -Infinity);
          else {
            // Scores: the mean over the selected queries that see key k.
            const seeing = [38, 39, 40].filter((q) => q >= k);
            const score = seeing.reduce((s2, q) => s2 + S[(h2 * 64 + q) * 64 + k]!, 0) / seeing.length;
            assert.ok(Math.abs(a.scores[o + k]! - score) < 1e-5, `score l${l} h${h2} k${k}`);
          }
        }
        assert.ok(Math.abs(sum - 1) < 1e-5, `layer ${l} head ${h2} sums to ${sum}`);
      }
    }
    assert.ok(t.tokenCount > 128);
  });

  it('every query past the first window is read with at least half a context before it; the query is clamped to its window', async () => {
    const h = await loaded();
    const t = await tokens(h, []);
    const clamped = await h.expect(h.request({ type: 'attention', documentKey: DOC, version: 1, from: 60, to: 100 }), 'attentionRows');
    assert.deepEqual([clamped.to, clamped.windowStart, clamped.windowLength], [64, 0, 64]);
    for (let q = 0; q < t.tokenCount; q += 7) {
      const a = await h.expect(h.request({ type: 'attention', documentKey: DOC, version: 1, from: q, to: q + 1 }), 'attentionRows');
      assert.ok(q - a.windowStart >= Math.min(q, 32), `query ${q} sees ${q - a.windowStart} earlier tokens`);
      assert.ok(a.windowStart + a.windowLength > q && a.windowLength === Math.min(64, t.tokenCount - a.windowStart));
    }
  });

  it('with the stride of a whole context (disjoint windows) the last window is shorter and its first token sees only itself', async () => {
    const h = await loaded();
    const t = await tokens(h, [], 1, text, 64);
    assert.equal(t.windowStride, 64);
    const last = await h.expect(h.request({ type: 'attention', documentKey: DOC, version: 1, from: 128, to: 129 }), 'attentionRows');
    assert.deepEqual([last.windowStart, last.windowLength], [128, t.tokenCount - 128]);
    const T = last.windowLength;
    for (let lh = 0; lh < last.layers * last.heads; lh++) {
      assert.equal(last.rows[lh * T], 1);
      for (let k = 1; k < T; k++) assert.equal(last.rows[lh * T + k], 0);
    }
    await h.expectFailure(h.request({ type: 'attention', documentKey: DOC, version: 1, from: t.tokenCount, to: t.tokenCount + 1 }), 'stale');
  });

  it('reuses a computed window for other queries in it: one forward for the window, none for the 17 queries after', async () => {
    const h = await loaded();
    await tokens(h, []);
    const forwards = countCalls(Transformer.prototype, 'forward');
    try {
      const first = await h.expect(h.request({ type: 'attention', documentKey: DOC, version: 1, from: 3, to: 4 }), 'attentionRows');
      assert.equal(forwards.calls, 1, 'the first query computes its window once');
      for (let q = 4; q < 20; q++) await h.expect(h.request({ type: 'attention', documentKey: DOC, version: 1, from: q, to: q + 1 }), 'attentionRows');
      const again = await h.expect(h.request({ type: 'attention', documentKey: DOC, version: 1, from: 3, to: 4 }), 'attentionRows');
      assert.deepEqual(Array.from(again.rows), Array.from(first.rows));
      assert.equal(forwards.calls, 1, 'queries in a computed window are answered from the cache');
      await h.expect(h.request({ type: 'attention', documentKey: DOC, version: 1, from: 70, to: 71 }), 'attentionRows');
      assert.equal(forwards.calls, 2, 'a query in the next window computes that window');
    } finally {
      forwards.restore();
    }
  });

  it('after edits (and a version number reused with another text) attention is that of the new text', async () => {
    const h = await loaded();
    const rowsOf = async (version: number, from: number): Promise<number[]> =>
      Array.from((await h.expect(h.request({ type: 'attention', documentKey: DOC, version, from, to: from + 1 }), 'attentionRows')).rows);
    const directRows = (t: string, from: number): number[] => {
      const ids = tokenizer.encode(t).ids;
      const w = Math.floor(from / 64) * 64;
      const T = Math.min(64, ids.length - w);
      const r = model.forward(null, ids.subarray(w, w + T), 1, T, { capture: { attention: true } });
      const out: number[] = [];
      const q = from - w;
      for (const l of r.layers) for (let hd = 0; hd < model.config.nHeads; hd++) out.push(...l.attention!.subarray((hd * T + q) * T, (hd * T + q + 1) * T));
      return out;
    };
    const close = (a: number[], b: number[]): void => {
      assert.equal(a.length, b.length);
      a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) < 1e-6, `entry ${i}: ${x} vs ${b[i]}`));
    };
    await tokens(h, []);
    const before0 = await rowsOf(1, 10);
    await rowsOf(1, 100);
    // Edit inside window 1: window 0 is kept, window 1 recomputed.
    const v2 = `${text.slice(0, 90)}ZZ${text.slice(90)}`;
    await tokens(h, [], 2, v2);
    assert.deepEqual(await rowsOf(2, 10), before0);
    close(await rowsOf(2, 100), directRows(v2, 100));
    // The same version number with a different text (e.g. a reopened document).
    const v2b = `Q${v2}`;
    await tokens(h, [], 2, v2b);
    close(await rowsOf(2, 10), directRows(v2b, 10));
    close(await rowsOf(2, 100), directRows(v2b, 100));
  });

  it('closeDocument forgets the text and its windows', async () => {
    const h = await loaded();
    await tokens(h, []);
    await h.expect(h.request({ type: 'attention', documentKey: DOC, version: 1, from: 0, to: 1 }), 'attentionRows');
    await h.expect(h.request({ type: 'closeDocument', documentKey: DOC }), 'closed');
    await h.expectFailure(h.request({ type: 'attention', documentKey: DOC, version: 1, from: 0, to: 1 }), 'stale');
    await h.expectFailure(h.request({ type: 'tokens', windowStride: 0, documentKey: DOC, version: 1, text: null, ranges: [] }), 'stale');
    // Closing an unknown document is not an error.
    await h.expect(h.request({ type: 'closeDocument', documentKey: 'file:///other' }), 'closed');
  });

  it('handles a 10 MB document: encoded once per version, edits re-encoded incrementally, attention per window', async function () {
    this.timeout(120_000);
    const h = await loaded();
    const big = text.repeat(Math.ceil(10_000_000 / text.length)).slice(0, 10_000_000);
    const bigCount = [...big].length;
    const encodes = countCalls(CharTokenizer.prototype, 'encode');
    const forwards = countCalls(Transformer.prototype, 'forward');
    try {
      await bigDocument(h, big, bigCount, encodes, forwards);
    } finally {
      encodes.restore();
      forwards.restore();
    }
  });

  async function bigDocument(
    h: Harness,
    big: string,
    bigCount: number,
    encodes: ReturnType<typeof countCalls>,
    forwards: ReturnType<typeof countCalls>,
  ): Promise<void> {
    const r = await h.expect(
      h.request({ type: 'tokens', windowStride: 0, documentKey: DOC, version: 1, text: big, ranges: [{ start: 5_000_000, end: 5_000_100 }] }),
      'tokens',
      60_000,
    );
    assert.equal(encodes.chars, big.length, 'the first version is encoded once, every character once');
    assert.equal(r.tokenCount, bigCount);
    const mid = r.slices[0]!.first;
    assert.equal(big.slice(r.slices[0]!.starts[0], r.slices[0]!.ends[0]), tokenizer.decode([r.slices[0]!.ids[0]!]));
    const a = await h.expect(h.request({ type: 'attention', documentKey: DOC, version: 1, from: mid, to: mid + 1 }), 'attentionRows');
    assert.equal(a.windowStart, Math.floor(mid / 64) * 64);

    assert.equal(forwards.calls, 1, "attention is one forward of the query's window, not of the document");

    // Same version, text null: no re-encode; queries in computed windows: no forward.
    const encodedBefore = encodes.calls;
    const windows = new Set<number>([Math.floor(mid / 64)]);
    for (let i = 0; i < 5; i++) {
      await h.expect(
        h.request({ type: 'tokens', windowStride: 0, documentKey: DOC, version: 1, text: null, ranges: [{ start: 9_999_000, end: 9_999_010 }] }),
        'tokens',
      );
      await h.expect(h.request({ type: 'attention', documentKey: DOC, version: 1, from: mid + i, to: mid + i + 1 }), 'attentionRows');
      windows.add(Math.floor((mid + i) / 64));
    }
    assert.equal(encodes.calls, encodedBefore, 'a repeated request of the same version re-encoded the document');
    assert.equal(forwards.calls, windows.size, `one forward per window touched (${windows.size}), none per repeated query`);

    // An edit near the end: the new version's tokens are right (spans shifted after the edit).
    const edited = `${big.slice(0, 9_000_000)}😀${big.slice(9_000_000)}`;
    const charsBefore = encodes.chars;
    const e = await h.expect(
      h.request({
        type: 'tokens',
        windowStride: 0,
        documentKey: DOC,
        version: 2,
        text: edited,
        ranges: [
          { start: 9_000_000, end: 9_000_003 },
          { start: 9_999_990, end: 10_000_002 },
        ],
      }),
      'tokens',
    );
    const reencoded = encodes.chars - charsBefore;
    assert.ok(
      reencoded > 0 && reencoded < big.length / 100,
      `the edit re-encoded ${reencoded} characters of ${edited.length}: incremental means around the edit only`,
    );
    assert.equal(e.tokenCount, bigCount + 1);
    for (const s of e.slices) {
      for (let i = 0; i < s.ids.length; i++) assert.equal(edited.slice(s.starts[i], s.ends[i]), tokenizer.decode([s.ids[i]!]));
    }
    assert.equal(e.slices[1]!.ends[e.slices[1]!.ids.length - 1], edited.length);
  }
});
