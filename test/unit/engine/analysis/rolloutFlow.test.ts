/**
 * Rollout and flow against the worked vector of ANALYSIS.md §5 (2 layers, 3 tokens), the
 * single-row rollout against the full product, and the row-normalisation pitfall.
 */

import assert from 'node:assert/strict';
import { attentionFlow, attentionFlowRow, FlowTooLargeError } from '../../../../src/engine/analysis/flow';
import { addResidual, attentionRollout, fuseHeads, layerMatrices, rolloutRow } from '../../../../src/engine/analysis/rollout';
import { divAt } from '../../../../src/engine/elements';
import { Rng } from '../../../../src/engine/random';
import { assertClose } from '../../../helpers/gradCheck';

const A1 = [1, 0, 0, 0.5, 0.5, 0, 0.2, 0.3, 0.5];
const A2 = [1, 0, 0, 0, 1, 0, 0, 0.5, 0.5];
const H1 = [1, 0, 0, 0.25, 0.75, 0, 0.1, 0.15, 0.75];
const H2 = [1, 0, 0, 0, 1, 0, 0, 0.25, 0.75];

/** A random causal [H, n, n] block with rows summing to 1. */
function randomCausal(rng: Rng, heads: number, n: number): Float32Array {
  const out = new Float32Array(heads * n * n);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let j = 0; j <= i; j++) sum += out[(h * n + i) * n + j] = rng.uniform() + 0.01;
      for (let j = 0; j <= i; j++) divAt(out, (h * n + i) * n + j, sum);
    }
  }
  return out;
}

describe('engine/analysis: attention rollout and flow (Abnar & Zuidema 2020)', () => {
  it('adds the residual: Â₁ and Â₂ of the worked vector', () => {
    assertClose(addResidual(A1, 3), H1, 1e-12);
    assertClose(addResidual(A2, 3), H2, 1e-12);
  });

  it('rollout R₂ = Â₂·Â₁ = [[1,0,0],[0.25,0.75,0],[0.1375,0.3,0.5625]], R₁ = Â₁', () => {
    const r = attentionRollout([A1, A2], 1, 3);
    assertClose(r[0]!, H1, 1e-12);
    assertClose(r[1]!, [1, 0, 0, 0.25, 0.75, 0, 0.1375, 0.3, 0.5625], 1e-12);
  });

  it('does not add the identity twice when told the matrices are already augmented', () => {
    const r = attentionRollout([H1, H2], 1, 3, { addResidual: false });
    assertClose(r[1]!, [1, 0, 0, 0.25, 0.75, 0, 0.1375, 0.3, 0.5625], 1e-12);
  });

  it('the O(L·n²) single row equals the row of the full product, on a random 4-layer model', () => {
    const rng = new Rng(5);
    const n = 9,
      heads = 3;
    const layers = Array.from({ length: 4 }, () => randomCausal(rng, heads, n));
    const full = attentionRollout(layers, heads, n).at(-1)!;
    for (let q = 0; q < n; q++) {
      const row = rolloutRow(layers, heads, n, q);
      assertClose(row, full.subarray(q * n, (q + 1) * n), 1e-12, `row ${q}`);
      assertClose([row.reduce((s, v) => s + v, 0)], [1], 1e-12, `row ${q} sum`);
      for (let k = q + 1; k < n; k++) assert.equal(row[k], 0, 'causal: no relevance from later tokens');
    }
  });

  it('normalises each row by its own sum (vit-explain#16 divided columns)', () => {
    const a = [2, 0, 1, 3]; // rows sum to 2 and 4 before the residual
    assertClose(addResidual(a, 2), [1, 0, 1 / 5, 4 / 5], 1e-12);
  });

  it('fuses heads by mean, max or min', () => {
    const block = [1, 0, 0.2, 0.8, 1, 0, 0.6, 0.4];
    assertClose(fuseHeads(block, 2, 2), [1, 0, 0.4, 0.6], 1e-12);
    assertClose(fuseHeads(block, 2, 2, 'max'), [1, 0, 0.6, 0.8], 1e-12);
    assertClose(fuseHeads(block, 2, 2, 'min'), [1, 0, 0.2, 0.4], 1e-12);
  });

  it('flow, layer 2, token 2: raw max-flows [0.35, 0.40, 0.75], normalised [0.2333, 0.2667, 0.5]', () => {
    const mats = layerMatrices([A1, A2], 1, 3);
    const r = attentionFlowRow(mats, 3, 2, 2);
    assertClose(r.raw, [0.35, 0.4, 0.75], 1e-12);
    assertClose(r.normalized, [0.35 / 1.5, 0.4 / 1.5, 0.5], 1e-12);
  });

  it('flow at layer 1 equals Â₁, and the whole-model form agrees with the single rows', () => {
    const mats = layerMatrices([A1, A2], 1, 3);
    const flow = attentionFlow(mats, 3);
    assertClose(flow[0]!, H1, 1e-12);
    for (let q = 0; q < 3; q++) assertClose(flow[1]!.subarray(q * 3, q * 3 + 3), attentionFlowRow(mats, 3, 2, q).normalized, 1e-12);
  });

  it('refuses inputs too long for the max-flow cost', () => {
    const rng = new Rng(1);
    const mats = layerMatrices([randomCausal(rng, 1, 30)], 1, 30);
    assert.throws(() => attentionFlow(mats, 30), FlowTooLargeError);
    assert.equal(attentionFlowRow(mats, 30, 1, 29).normalized.length, 30);
  });
});
