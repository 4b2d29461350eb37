/**
 * Analyses on bidirectional (encoder) attention, where A[i][j] can be non-zero for j > i:
 * the two-sided head patterns of patterns.ts (worked by hand here), next-token scores,
 * entropies over all n keys, and rollout / flow through full matrices against a product and
 * a max-flow computed separately in the test.
 */

import assert from 'node:assert/strict';
import { meanEntropy } from '../../../../src/engine/analysis/entropy';
import { attentionFlowRow } from '../../../../src/engine/analysis/flow';
import { summarizeHeads } from '../../../../src/engine/analysis/headSummary';
import { checkPattern, duplicateTokenPattern, inductionPattern, nextTokenPattern, patternFor } from '../../../../src/engine/analysis/patterns';
import { attentionRollout, layerMatrices, rolloutRow } from '../../../../src/engine/analysis/rollout';

const rows = (p: Float64Array, n: number): number[][] => Array.from({ length: n }, (_, i) => Array.from(p.subarray(i * n, (i + 1) * n)));

describe('analysis: bidirectional attention', () => {
  const t = [7, 8, 7, 8];

  it('two-sided patterns: next token, duplicates on either side, the token after any other copy of me', () => {
    assert.deepEqual(rows(nextTokenPattern(4), 4), [
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
      [0, 0, 0, 0],
    ]);
    assert.deepEqual(rows(duplicateTokenPattern(t, false), 4), [
      [0, 0, 1, 0],
      [0, 0, 0, 1],
      [1, 0, 0, 0],
      [0, 1, 0, 0],
    ]);
    // query 0 (7): copies of 7 at 2 → the token after it, 3. query 2 (7): copy at 0 → 1.
    // query 1 (8): copy at 3 → nothing after it; query 3 (8): copy at 1 → 2.
    assert.deepEqual(rows(inductionPattern(t, false), 4), [
      [0, 0, 0, 1],
      [0, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
    ]);
    // The causal forms keep TL's lower triangle.
    assert.deepEqual(rows(inductionPattern(t), 4), [
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
    ]);
    assert.deepEqual(rows(patternFor('duplicate_token', t, true), 4), [
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [1, 0, 0, 0],
      [0, 1, 0, 0],
    ]);
  });

  it('a pattern above the diagonal is refused for a causal model only', () => {
    assert.throws(() => checkPattern(nextTokenPattern(3), 3), /not lower-triangular/);
    assert.deepEqual(checkPattern(nextTokenPattern(3), 3, false), { binary: true });
  });

  it('a head that attends to the next token scores 1 on next_token; uniform rows have entropy 1 over all n keys', () => {
    const n = 4;
    const next = new Float64Array(n * n);
    for (let i = 0; i < n; i++) next[i * n + Math.min(i + 1, n - 1)] = 1;
    const uniform = new Float64Array(n * n).fill(1 / n);
    const block = new Float64Array(2 * n * n);
    block.set(next, 0);
    block.set(uniform, n * n);
    const s = summarizeHeads([block], 2, t, { causal: false });
    // Rows 0..2 on the next token, row 3 on itself: 3 of 4 units of mass.
    assert.ok(Math.abs(s.nextToken![0]! - 3 / 4) < 1e-12);
    assert.ok(Math.abs(s.entropy[1]! - 1) < 1e-12);
    assert.ok(Math.abs(meanEntropy(uniform, n, 0, false) - 1) < 1e-12);
    assert.equal(s.keys90[1], 4);
    assert.equal(summarizeHeads([block], 2, t).nextToken, undefined, 'causal summaries have no next-token score');
  });

  it('rollout and flow follow full matrices: against a product and a max-flow worked separately', () => {
    const n = 3;
    // Two layers, one head, full rows (each sums to 1).
    const a1 = [0.2, 0.5, 0.3, 0.6, 0.1, 0.3, 0.1, 0.1, 0.8];
    const a2 = [0.1, 0.1, 0.8, 0.5, 0.25, 0.25, 0.3, 0.3, 0.4];
    const aug = (a: number[]): number[] => a.map((v, c) => (v + (Math.floor(c / n) === c % n ? 1 : 0)) / 2);
    const m1 = aug(a1),
      m2 = aug(a2);
    const want = new Array<number>(n * n).fill(0);
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) want[i * n + j]! += m2[i * n + k]! * m1[k * n + j]!;
    const r = attentionRollout([a1, a2], 1, n);
    r[1]!.forEach((v, c) => assert.ok(Math.abs(v - want[c]!) < 1e-12, `R[${c}]`));
    const row0 = rolloutRow([a1, a2], 1, n, 0);
    row0.forEach((v, j) => assert.ok(Math.abs(v - want[j]!) < 1e-12));
    assert.ok(row0[2]! > 0.3, 'the first token draws on the last');
    // One layer: flow from query 0 to input j is just the edge capacity m1[0][j], normalised over inputs.
    const mats = layerMatrices([a1], 1, n);
    const flow = attentionFlowRow(mats, n, 1, 0).normalized;
    const total = m1[0]! + m1[1]! + m1[2]!;
    flow.forEach((v, j) => assert.ok(Math.abs(v - m1[j]! / total) < 1e-9, `flow to ${j}: ${v}`));
  });
});
