/**
 * Rule-built detection patterns (engine/analysis/rulePatterns.ts) scored by detectHead on the
 * attention llama2.c's run.c computed for stories260K (../shared/fixtures/stories260K): every
 * expected score is written here straight from the fixture's attention rows and the rule's
 * meaning ("the token k back", "the token after an earlier copy"), not from the pattern
 * builders; the named detectors are the rules' special cases.
 */

import assert from 'node:assert/strict';
import { detectHead, type ScoreOptions } from '../../../../src/engine/analysis/headScores';
import { keySetPattern, occurrencePattern, offsetPattern, positionPattern, rulePattern } from '../../../../src/engine/analysis/rulePatterns';
import { firstTokenPattern, nextTokenPattern, type DetectorKind } from '../../../../src/engine/analysis/patterns';
import { readLlama2cAttention, type Llama2cAttention } from '../../../helpers/llama2cAttention';
import { requireFixture } from '../../../helpers/fixtures';

/** Which keys a rule marks for query i, written from the rule's words. */
type Keys = (i: number) => number[];

/** "mul": the share of each row's attention on the marked keys, summed over rows, over the total attention (rows sum to 1). */
function expectedMul(fx: Llama2cAttention, keys: Keys): number[] {
  const out: number[] = [];
  for (const layer of fx.attention)
    for (const head of layer) {
      let on = 0;
      let total = 0;
      head.forEach((row, i) => {
        total += row.reduce((s, x) => s + x, 0);
        for (const j of new Set(keys(i))) on += row[j]!;
      });
      out.push(on / total);
    }
  return out;
}

/** "abs": 1 − round(Σ|A − P| / n, 3), P the 0/1 pattern of the marked keys. */
function expectedAbs(fx: Llama2cAttention, keys: Keys): number[] {
  const out: number[] = [];
  for (const layer of fx.attention)
    for (const head of layer) {
      let sum = 0;
      head.forEach((row, i) => {
        const marked = new Set(keys(i));
        row.forEach((a, j) => (sum += Math.abs(a - (marked.has(j) ? 1 : 0))));
      });
      out.push(1 - Math.round((sum / fx.T) * 1000) / 1000);
    }
  return out;
}

function scores(fx: Llama2cAttention, pattern: Float64Array | DetectorKind, o: ScoreOptions & { method?: 'mul' | 'abs' } = {}): number[] {
  const H = fx.attention[0]!.length;
  const layers = fx.attention.map((l) => Float64Array.from(l.flatMap((h) => h.flat())));
  return Array.from(detectHead([{ layers, heads: H, tokens: fx.token_ids }], pattern, o).scores);
}

function close(got: number[], want: number[], tol: number, what: string): void {
  assert.equal(got.length, want.length, what);
  got.forEach((g, k) => assert.ok(Math.abs(g - want[k]!) <= tol, `${what}, head ${k}: ${g} vs ${want[k]}`));
}

const range = (a: number, b: number): number[] => Array.from({ length: Math.max(0, b - a) }, (_, k) => a + k);

describe('engine/analysis/rulePatterns: custom detectors on llama2.c attention (stories260K)', () => {
  let fx: Llama2cAttention;
  let n: number;
  before(function () {
    fx = readLlama2cAttention(requireFixture(this, 'stories260K', 'attention_logits_lily_park.json'));
    n = fx.T;
  });

  it('"k back": k = 1 is the previous-token detector; every k is the attention on i − k', () => {
    close(scores(fx, offsetPattern(n, 1)), scores(fx, 'previous_token'), 1e-12, 'k = 1 vs the named detector');
    for (const k of [0, 1, 2, 5])
      close(
        scores(fx, offsetPattern(n, k)),
        expectedMul(fx, (i) => (i - k >= 0 ? [i - k] : [])),
        1e-9,
        `k = ${k}`,
      );
    close(
      scores(fx, offsetPattern(n, 3), { method: 'abs' }),
      expectedAbs(fx, (i) => (i >= 3 ? [i - 3] : [])),
      1e-9,
      'abs, k = 3',
    );
    // Beyond the window nothing is marked; ahead is invisible under the causal mask.
    assert.ok(scores(fx, offsetPattern(n, n)).every((s) => s === 0));
    assert.ok(offsetPattern(n, -1).every((v) => v === 0));
  });

  it('an earlier copy + offset: 0 is the duplicate-token detector, 1 the induction detector, 2 the token two after the copy', () => {
    const copies = (i: number): number[] => range(0, i).filter((m) => fx.token_ids[m] === fx.token_ids[i]);
    const shifted =
      (o: number): Keys =>
      (i) =>
        copies(i)
          .map((m) => m + o)
          .filter((j) => j >= 0 && j <= i);
    assert.ok(
      range(0, n).some((i) => copies(i).length > 0),
      'the prompt repeats tokens',
    );
    close(scores(fx, occurrencePattern(fx.token_ids, 0)), scores(fx, 'duplicate_token'), 1e-12, 'offset 0 vs duplicate');
    close(scores(fx, occurrencePattern(fx.token_ids, 1)), scores(fx, 'induction'), 1e-12, 'offset 1 vs induction');
    for (const o of [0, 1, 2, -1]) close(scores(fx, occurrencePattern(fx.token_ids, o)), expectedMul(fx, shifted(o)), 1e-9, `offset ${o}`);
    close(scores(fx, occurrencePattern(fx.token_ids, 1), { method: 'abs' }), expectedAbs(fx, shifted(1)), 1e-9, 'abs, offset 1');
  });

  it('a set of keys (the tokens a regex matches): the attention on the marked keys a query can see', () => {
    const re = /^ [A-Z]/u; // capitalised words: " Lily", " One"…
    const marked = fx.token_vocab_strings.map((s) => re.test(s));
    assert.ok(marked.some(Boolean) && !marked.every(Boolean));
    const keys: Keys = (i) => range(0, i + 1).filter((j) => marked[j]);
    close(scores(fx, keySetPattern(marked)), expectedMul(fx, keys), 1e-9, 'mul');
    close(scores(fx, keySetPattern(marked), { method: 'abs' }), expectedAbs(fx, keys), 1e-9, 'abs');
  });

  it('position p: 0 is the first-token detector; p > 0 counts only the queries that can see it', () => {
    close(scores(fx, positionPattern(n, 0)), scores(fx, firstTokenPattern(n)), 1e-12, 'p = 0');
    close(
      scores(fx, positionPattern(n, 4)),
      expectedMul(fx, (i) => (i >= 4 ? [4] : [])),
      1e-9,
      'p = 4',
    );
    assert.ok(
      positionPattern(n, n).every((v) => v === 0),
      'outside the window nothing is marked',
    );
  });

  it('bidirectional (an encoder): −1 back is the next-token pattern and copies on either side count', () => {
    assert.deepEqual(offsetPattern(6, -1, false), nextTokenPattern(6));
    // Tokens 7 3 7 3, offset 1: query 0's copy is at 2 (key 3), query 1's at 3 (key 4: outside), query 2's at 0 (key 1), query 3's at 1 (key 2).
    const p = occurrencePattern([7, 3, 7, 3], 1, false);
    const cells = [...p.keys()].filter((c) => p[c] === 1).map((c) => [Math.floor(c / 4), c % 4]);
    assert.deepEqual(cells, [
      [0, 3],
      [2, 1],
      [3, 2],
    ]);
    assert.deepEqual(Array.from(keySetPattern([false, true, false], false)), [0, 1, 0, 0, 1, 0, 0, 1, 0]);
  });

  it('rulePattern: a match rule marks the keys its test accepts; a key ahead is refused under the causal mask', () => {
    const ids = [5, 9, 5, 2];
    assert.deepEqual(rulePattern({ kind: 'match', test: (id) => id === 5 }, ids), keySetPattern([true, false, true, false]));
    assert.deepEqual(rulePattern({ kind: 'occurrence', offset: 1 }, ids), occurrencePattern(ids, 1));
    assert.throws(() => rulePattern({ kind: 'offset', offset: -2 }, ids), /the token 2 ahead is never visible to a causal model/);
    assert.deepEqual(rulePattern({ kind: 'offset', offset: -1 }, ids, false), nextTokenPattern(4));
  });
});
