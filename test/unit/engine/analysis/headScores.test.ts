/**
 * Head detectors against TransformerLens's own numbers (ANALYSIS.md §1): the demo notebook's
 * 4×4 pattern, the "BOS seven token sequence seven token sequence" induction pattern, and the
 * protocol rules (unrequested heads −1, means over prompts, pattern checks).
 */

import assert from 'node:assert/strict';
import { absScore, detectHead, headKindScores, mulScore } from '../../../../src/engine/analysis/headScores';
import {
  checkPattern,
  duplicateTokenPattern,
  HEAD_KINDS,
  HeadPatternError,
  inductionPattern,
  previousTokenPattern,
} from '../../../../src/engine/analysis/patterns';
import { assertClose } from '../../../helpers/gradCheck';

const A = [1, 0, 0, 0, 0.5, 0.5, 0, 0, 0.2, 0.3, 0.5, 0, 0.1, 0.15, 0.5, 0.25];
const both = { excludeBos: true, excludeCurrentToken: true };

/** Cells (i, j) where a pattern is 1. */
function ones(p: ArrayLike<number>, n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (p[i * n + j] === 1) out.push([i, j]);
  return out;
}

describe('engine/analysis: head detectors (TransformerLens detect_head)', () => {
  it('"mul" on the TL demo pattern: 0.325, and 0.8421 with both exclusions', () => {
    const P = previousTokenPattern(4);
    assertClose([mulScore(A, P, 4)], [0.325], 1e-12);
    assertClose([mulScore(A, P, 4, both)], [0.8 / 0.95], 1e-12);
    assert.equal(mulScore(A, P, 4, both).toFixed(4), '0.8421');
  });

  it('"abs" on the TL demo pattern: −0.1, and 0.662 with both exclusions (rounded to 3 decimals, unlike the notebook\'s 0.6625)', () => {
    const P = previousTokenPattern(4);
    assertClose([absScore(A, P, 4)], [-0.1], 1e-12);
    assertClose([absScore(A, P, 4, both)], [0.662], 1e-12);
  });

  it('induction pattern of "BOS seven token sequence seven token sequence" has exactly (4,2), (5,3), (6,4)', () => {
    const tokens = [0, 11, 12, 13, 11, 12, 13];
    assert.deepEqual(ones(inductionPattern(tokens), 7), [
      [4, 2],
      [5, 3],
      [6, 4],
    ]);
    assert.deepEqual(ones(duplicateTokenPattern(tokens), 7), [
      [4, 1],
      [5, 2],
      [6, 3],
    ]);
  });

  it('a sequence without repeats has an all-zero duplicate pattern', () => {
    assert.ok(duplicateTokenPattern([5, 6, 7, 8, 9]).every((v) => v === 0));
    assert.ok(inductionPattern([5, 6, 7, 8, 9]).every((v) => v === 0));
  });

  it('scores every head of every layer; unrequested heads are −1; prompts are averaged', () => {
    const n = 4;
    const prev = Float32Array.from(A);
    const self = new Float32Array(16);
    for (let i = 0; i < n; i++) self[i * n + i] = 1;
    const layer = new Float32Array(32);
    layer.set(prev, 0);
    layer.set(self, 16);
    const prompt = { layers: [layer, layer], heads: 2, tokens: [1, 2, 3, 4] };
    const all = detectHead([prompt], 'previous_token');
    assertClose(all.scores, [0.325, 0, 0.325, 0], 1e-6);
    const some = detectHead([prompt], 'previous_token', { only: new Map([[1, [0]]]) });
    assertClose(some.scores, [-1, -1, 0.325, -1], 1e-6);
    const twice = detectHead(
      [
        prompt,
        {
          ...prompt,
          layers: [self.slice(), self.slice()].map((s) => {
            const b = new Float32Array(32);
            b.set(s);
            b.set(s, 16);
            return b;
          }),
        },
      ],
      'current_token',
    );
    // prompt 1: head 0 puts 1.0/4 on the diagonal except row 0 … (1 + .5 + .5 + .25)/4; head 1 = 1. prompt 2: both 1.
    assertClose(twice.scores, [(0.5625 + 1) / 2, 1, (0.5625 + 1) / 2, 1], 1e-6);
  });

  it('every named kind scores a textbook head highest for its own kind', () => {
    // Three copies, so the duplicate and induction rows outnumber the rows with nothing to copy.
    const tokens = [0, 11, 12, 13, 11, 12, 13, 11, 12, 13, 11, 12, 13];
    const n = tokens.length;
    const heads = HEAD_KINDS.length;
    const block = new Float32Array(heads * n * n);
    // Build one head per kind that follows its pattern, falling back to the first token where the pattern row is empty.
    HEAD_KINDS.forEach((kind, h) => {
      const p =
        kind === 'previous_token'
          ? previousTokenPattern(n)
          : kind === 'duplicate_token'
            ? duplicateTokenPattern(tokens)
            : kind === 'induction'
              ? inductionPattern(tokens)
              : null;
      for (let i = 0; i < n; i++) {
        const o = h * n * n + i * n;
        const targets = p ? [...Array(n).keys()].filter((j) => p[i * n + j] === 1) : [kind === 'first_token' ? 0 : i];
        if (targets.length === 0) targets.push(0);
        for (const j of targets) block[o + j] = 1 / targets.length;
      }
    });
    const s = headKindScores({ layers: [block], heads, tokens }, HEAD_KINDS);
    HEAD_KINDS.forEach((kind, h) => {
      for (const other of HEAD_KINDS)
        if (other !== kind) assert.ok(s[kind][h]! > s[other][h]!, `${kind} head: ${kind} ${s[kind][h]} vs ${other} ${s[other][h]}`);
    });
  });

  it('checks patterns: at least 2 tokens, n×n, lower-triangular; a non-0/1 pattern only warns', () => {
    assert.throws(() => checkPattern([1], 1), HeadPatternError);
    assert.throws(() => checkPattern([0, 0, 0], 2), /4/);
    assert.throws(() => checkPattern([0, 1, 0, 0], 2), /not lower-triangular: P\[0\]\[1\]/);
    assert.deepEqual(checkPattern([0, 0, 0.5, 0], 2), { binary: false });
    const r = detectHead([{ layers: [Float32Array.of(1, 0, 0.5, 0.5)], heads: 1, tokens: [1, 2] }], [0, 0, 0.5, 0]);
    assert.equal(r.warnings.length, 1);
    assert.throws(() => detectHead([{ layers: [new Float32Array(3)], heads: 1, tokens: [1, 2] }], 'induction'), /need 4/);
  });

  it('detectHead "mul" (reading only the pattern\'s non-zero cells) equals the dense Σ A′·P / Σ A′ written out here, with and without exclusions', () => {
    const n = 9;
    const H = 3;
    let seed = 7;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const block = new Float64Array(H * n * n);
    for (let h = 0; h < H; h++)
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let j = 0; j <= i; j++) sum += block[(h * n + i) * n + j] = rand();
        for (let j = 0; j <= i; j++) block[(h * n + i) * n + j]! /= sum;
      }
    const tokens = [1, 5, 6, 7, 5, 6, 7, 2, 5];
    for (const o of [{}, { excludeBos: true }, { excludeCurrentToken: true }, { excludeBos: true, excludeCurrentToken: true }])
      for (const kind of ['previous_token', 'duplicate_token', 'induction', 'first_token', 'current_token'] as const) {
        const got = detectHead([{ layers: [block], heads: H, tokens }], kind, o).scores;
        const p = headKindScores({ layers: [block], heads: H, tokens }, [kind], o)[kind];
        const pattern = patternOf(kind, tokens);
        for (let h = 0; h < H; h++) {
          let num = 0;
          let den = 0;
          for (let i = 0; i < n; i++)
            for (let j = 0; j < n; j++) {
              if (((o as { excludeBos?: boolean }).excludeBos && j === 0) || ((o as { excludeCurrentToken?: boolean }).excludeCurrentToken && i === j))
                continue;
              num += block[(h * n + i) * n + j]! * pattern[i * n + j]!;
              den += block[(h * n + i) * n + j]!;
            }
          assertClose([got[h]!, p[h]!], [num / den, num / den], 1e-12);
        }
      }
  });

  it("leaves the caller's attention untouched (TL zeroes its cache in place)", () => {
    const a = Float32Array.from(A);
    mulScore(a, previousTokenPattern(4), 4, both);
    absScore(a, previousTokenPattern(4), 4, both);
    assert.deepEqual(Array.from(a), Array.from(Float32Array.from(A)));
  });
});

/** The named patterns, written out independently: TL's definitions (ANALYSIS.md §1). */
function patternOf(kind: string, t: number[]): number[] {
  const n = t.length;
  const p = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      const on =
        kind === 'previous_token'
          ? j === i - 1
          : kind === 'current_token'
            ? j === i
            : kind === 'first_token'
              ? j === 0
              : kind === 'duplicate_token'
                ? j < i && t[j] === t[i]
                : j >= 1 && j < i && t[j - 1] === t[i]; // induction: the token after an earlier copy of the query's token
      if (on) p[i * n + j] = 1;
    }
  return p;
}
