/**
 * Per-row entropy (normalised by ln(i+1)), keys holding 50 %/90 % of the mass, per-token loss,
 * the repeated-random-tokens stripes, and the head summary the dashboard's table reads.
 */

import assert from 'node:assert/strict';
import { keysForMass, keysPerRow } from '../../../../src/engine/analysis/concentration';
import { coherence, rowEntropies } from '../../../../src/engine/analysis/entropy';
import { strongestKind, summarizeHeads } from '../../../../src/engine/analysis/headSummary';
import { repeatedRandomTokens, repeatedTokenScores, secondHalfLoss, stripeScores } from '../../../../src/engine/analysis/repeatedTokens';
import { natsToBits, nextTokenTargets, tokenSurprisal } from '../../../../src/engine/analysis/tokenLoss';
import { Rng } from '../../../../src/engine/random';
import { assertClose } from '../../../helpers/gradCheck';

function uniformCausal(n: number): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = 1 / (i + 1);
  return a;
}

function diagonal(n: number, back: number): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) a[i * n + Math.max(0, i - back)] = 1;
  return a;
}

describe('engine/analysis: entropy, concentration, token loss, repeated tokens', () => {
  it('entropy per row is 1 for uniform causal rows, 0 for one-hot rows, NaN for row 0', () => {
    const u = rowEntropies(uniformCausal(6), 6);
    assert.ok(Number.isNaN(u[0]));
    assertClose(u.subarray(1), [1, 1, 1, 1, 1], 1e-12);
    assertClose(rowEntropies(diagonal(6, 1), 6).subarray(1), [0, 0, 0, 0, 0], 1e-12);
    assertClose([coherence(uniformCausal(6), 6), coherence(diagonal(6, 1), 6)], [0, 1], 1e-12);
  });

  it('a half/half row over 3 keys has entropy ln 2 / ln 3', () => {
    const a = [1, 0, 0, 0.5, 0.5, 0, 0.5, 0, 0.5];
    assertClose(rowEntropies(a, 3).subarray(1), [1, Math.LN2 / Math.log(3)], 1e-12);
  });

  it('counts the fewest keys holding 50 % / 90 % of the mass', () => {
    assert.equal(keysForMass([0.2, 0.5, 0.3], 0.5), 1);
    assert.equal(keysForMass([0.2, 0.5, 0.3], 0.9), 3);
    assert.equal(keysForMass([0.1, 0.6, 0.3], 0.9), 2); // 0.6 + 0.3 = 0.9 exactly (in floats, a hair under)
    assert.equal(keysForMass([0, 0, 0], 0.5), 0);
    assert.deepEqual(Array.from(keysPerRow(uniformCausal(4), 4, 0.5)), [1, 1, 2, 2]);
    assert.throws(() => keysForMass([1], 0), RangeError);
  });

  it('per-token loss: ln V for uniform logits, log(e+e²+e³)−3 for [1,2,3]→2, NaN without a target', () => {
    const s = tokenSurprisal([0, 0, 0, 1, 2, 3, 5, 5, 5], [1, 2, -1], 3);
    assertClose(s, [Math.log(3), Math.log(Math.E + Math.E ** 2 + Math.E ** 3) - 3, NaN], 1e-12);
    assert.deepEqual(Array.from(nextTokenTargets([4, 5, 6])), [5, 6, -1]);
    assertClose([natsToBits(Math.LN2)], [1], 1e-12);
    assert.throws(() => tokenSurprisal([0, 0], [2], 2), /outside the vocabulary/);
  });

  it('repeated random tokens: [BOS] r₁..r_N r₁..r_N, deterministic per seed', () => {
    const a = repeatedRandomTokens(new Rng(7), 5, 100, 20000, 1);
    assert.equal(a.length, 11);
    assert.equal(a[0], 1);
    assert.deepEqual(Array.from(a.subarray(1, 6)), Array.from(a.subarray(6)));
    for (const t of a.subarray(1)) assert.ok(t >= 100 && t < 20000);
    assert.deepEqual(Array.from(repeatedRandomTokens(new Rng(7), 5, 100, 20000, 1)), Array.from(a));
  });

  it('stripe scores: a perfect induction head scores 1 (strict), a previous-token head 1 on its stripe', () => {
    const N = 4,
      n = 2 * N + 1; // with BOS
    const induction = new Float64Array(n * n);
    for (let q = 0; q < n; q++) induction[q * n + (q >= 1 + N ? q - N + 1 : 0)] = 1;
    const s = stripeScores(induction, n, N, { bos: true, strict: true });
    assert.equal(s.induction, 1);
    assert.equal(s.duplicate, 0);
    // TL's diagonal(1 − N) also averages rows q = N−1 and N, where no earlier copy exists: both look at
    // BOS, and the stripe cell of row N−1 *is* BOS, so the loose mean is 5/6, not 1 or 4/6.
    const loose = stripeScores(induction, n, N, { bos: true });
    assertClose([loose.induction], [5 / 6], 1e-12);
    assert.equal(stripeScores(diagonal(n, 1), n, N, { bos: true }).previousToken, 1);
    const batch = repeatedTokenScores([Float64Array.from([...induction, ...diagonal(n, 1)])], 1, 2, n, N, { bos: true, strict: true });
    assertClose(batch.induction, [1, 0], 1e-12);
    assertClose(batch.previousToken, [stripeScores(induction, n, N, { bos: true }).previousToken, 1], 1e-12);
    assert.throws(() => stripeScores(induction, n, N, { bos: false }), /has 8 tokens/);
  });

  it('second-half loss averages the predictions inside the second copy', () => {
    assertClose([secondHalfLoss([9, 9, 9, 1, 3, NaN], 2, true)], [2], 1e-12);
  });

  it('summarises heads: detector scores, entropy and key counts per [L, H]; the strongest kind labels a head', () => {
    const tokens = [0, 11, 12, 13, 11, 12, 13];
    const n = tokens.length;
    const block = new Float32Array(2 * n * n);
    block.set(diagonal(n, 1), 0);
    block.set(uniformCausal(n), n * n);
    const s = summarizeHeads([block], 2, tokens);
    assert.equal(strongestKind(s, 0).kind, 'previous_token');
    assertClose([strongestKind(s, 0).score], [6 / 7], 1e-6); // row 0 can only attend to itself
    assertClose(s.entropy, [0, 1], 1e-6);
    assertClose(s.keys90, [1, (1 + 2 + 3 + 4 + 5 + 6 + 7) / 7], 1e-6);
  });
});
