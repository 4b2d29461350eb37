/**
 * The dashboard's custom head detector as the worker answers it (the `customHeads` view) on
 * stories260K with the prompt of its llama2.c fixture: each rule's score per head is written
 * here from llama2.c's attention rows (../shared/fixtures/stories260K) and the rule's meaning,
 * the regex rule from the fixture's own token strings; hostile detectors are refused before
 * anything runs, and a rule a causal model cannot follow is a clear bad-input.
 */

import assert from 'node:assert/strict';
import type { CustomDetector, HeadRule } from '../../../src/protocol/headRules';
import { requireFixture } from '../../helpers/fixtures';
import { readLlama2cAttention, type Llama2cAttention } from '../../helpers/llama2cAttention';
import { Harness } from './harness';

const DOC = 'untitled:custom-heads';

const detector = (rule: HeadRule, method: 'mul' | 'abs' = 'mul', excludeBos = false): CustomDetector => ({
  rule,
  method,
  excludeBos,
  excludeCurrentToken: false,
});

/** Per head [L·H]: the share of attention on the keys `keys(i)` marks (rows sum to 1; `skipBos` leaves column 0 out of both sums). */
function expectedMul(fx: Llama2cAttention, keys: (i: number) => number[], skipBos = false): number[] {
  return fx.attention.flatMap((layer) =>
    layer.map((head) => {
      let on = 0;
      let total = 0;
      head.forEach((row, i) => {
        row.forEach((a, j) => (total += skipBos && j === 0 ? 0 : a));
        for (const j of new Set(keys(i))) if (!(skipBos && j === 0)) on += row[j]!;
      });
      return on / total;
    }),
  );
}

describe('worker: the custom head detector view (stories260K, llama2.c attention as the oracle)', function () {
  this.timeout(60_000);
  let h: Harness;
  let fx: Llama2cAttention;

  before(async function () {
    fx = readLlama2cAttention(requireFixture(this, 'stories260K', 'attention_logits_lily_park.json'));
    h = new Harness();
    h.session.start();
    const bin = requireFixture(this, 'stories260K', 'stories260K.bin');
    const tok = requireFixture(this, 'stories260K', 'tok512.bin');
    await h.expect(h.request({ type: 'load', path: bin, tokenizerPath: tok }), 'modelLoaded');
    await h.expect(h.request({ type: 'tokens', windowStride: 0, documentKey: DOC, version: 1, text: fx.prompt, ranges: [] }), 'tokens');
  });

  async function scored(d: CustomDetector): Promise<{ scores: number[]; cells: number; detector: CustomDetector; layers: number; heads: number }> {
    const r = await h.expect(h.request({ type: 'view', view: 'customHeads', documentKey: DOC, version: 1, token: 3, layer: 0, head: 0, detector: d }), 'view');
    assert.equal(r.view, 'customHeads');
    const p = r.payload as { scores: Float32Array; cells: number; detector: CustomDetector; layers: number; heads: number; windowLength: number };
    assert.equal(p.windowLength, fx.T, 'the window is the whole prompt, as llama2.c saw it');
    return { ...p, scores: Array.from(p.scores) };
  }

  function close(got: number[], want: number[], what: string): void {
    assert.equal(got.length, want.length);
    // Our float32 forward against llama2.c's: attention agrees to ~1e-5 per weight.
    got.forEach((g, k) => assert.ok(Math.abs(g - want[k]!) < 2e-4, `${what}, head ${Math.floor(k / 8)}.${k % 8}: ${g} vs llama2.c ${want[k]}`));
  }

  it('"k back" scores every head on the attention to i − k; k = 1 is the previous-token score', async () => {
    for (const k of [1, 2]) {
      const r = await scored(detector({ kind: 'offset', offset: k }));
      assert.deepEqual([r.layers, r.heads, r.cells], [5, 8, fx.T - k]);
      close(
        r.scores,
        expectedMul(fx, (i) => (i >= k ? [i - k] : [])),
        `k = ${k}`,
      );
    }
    const stats = await h.view('headStats', { documentKey: DOC, version: 1, token: 3 });
    const k1 = await scored(detector({ kind: 'offset', offset: 1 }));
    assert.deepEqual(k1.scores, Array.from(stats.scores.previous_token), 'the same numbers as the head-type table');
  });

  it('the token after an earlier copy (induction-like), and position 0 with the first column left out', async () => {
    const copies = (i: number): number[] => fx.token_ids.slice(0, i).flatMap((t, m) => (t === fx.token_ids[i] ? [m] : []));
    const r = await scored(detector({ kind: 'occurrence', offset: 1 }));
    close(
      r.scores,
      expectedMul(fx, (i) => copies(i).map((m) => m + 1)),
      'copy + 1',
    );
    assert.ok(r.cells > 0);
    // Position 3, BOS column excluded: the share of the non-BOS attention on key 3.
    const p = await scored(detector({ kind: 'position', position: 3 }, 'mul', true));
    close(
      p.scores,
      expectedMul(fx, (i) => (i >= 3 ? [3] : []), true),
      'position 3 without BOS',
    );
  });

  it('tokens matching a regex: matched on the token text, scored against the keys llama2.c’s strings match', async () => {
    const re = /^ [a-z]{2,3}$/u; // short lower-case words: " a", " the", " to"…
    const marked = fx.token_vocab_strings.map((s) => re.test(s));
    assert.ok(marked.some(Boolean));
    const r = await scored(detector({ kind: 'match', regex: re.source }));
    close(
      r.scores,
      expectedMul(fx, (i) => fx.token_ids.slice(0, i + 1).flatMap((_, j) => (marked[j] ? [j] : []))),
      'regex',
    );
    assert.deepEqual(r.detector, detector({ kind: 'match', regex: re.source }), 'the payload names the detector it answers');
  });

  it('refuses hostile detectors before running them, and a rule a causal model cannot follow', async () => {
    const ask = (d: unknown): number =>
      h.request({ type: 'view', view: 'customHeads', documentKey: DOC, version: 1, token: 3, layer: 0, head: 0, detector: d });
    const hostile: unknown[] = [
      undefined,
      detector({ kind: 'match', regex: '(a+)+$' }),
      detector({ kind: 'match', regex: 'x'.repeat(201) }),
      detector({ kind: 'match', regex: '[' }),
      detector({ kind: 'offset', offset: 1e9 }),
      detector({ kind: 'position', position: -1 }),
      { ...detector({ kind: 'offset', offset: 1 }), method: 'max' },
      { rule: { kind: 'matrix', cells: [1, 0, 0, 1] }, method: 'mul', excludeBos: false, excludeCurrentToken: false },
    ];
    for (const d of hostile) await h.expectFailure(ask(d), 'bad-request');
    const f = await h.expectFailure(ask(detector({ kind: 'offset', offset: -1 })), 'bad-input');
    assert.match(f.message, /causal model/);
    // Still answering.
    await scored(detector({ kind: 'offset', offset: 0 }));
  });
});
