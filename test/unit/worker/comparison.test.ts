/**
 * What-if comparisons in the worker, checked against computations written here: Compare with
 * Edit (an edited copy against its original: the alignment a character diff implies, each head's
 * total-variation distance and the surprisal on both sides from separate full forwards) and
 * Compare with Checkpoint (the same text under a second model); the alignment against a
 * brute-force longest common subsequence.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Transformer } from '../../../src/engine/nn/transformer';
import type { CharTokenizer } from '../../../src/engine/tokenizer/charTokenizer';
import { Rng } from '../../../src/engine/random';
import { alignBySpans, alignTokens } from '../../../src/worker/tokenAlignment';
import { refLogSoftmax } from '../../helpers/analysisModels';
import { Harness, SAMPLE_TEXT, tempDir, writeCheckpoint } from './harness';

const ORIGINAL = 'file:///original.txt';
const SCRATCH = 'untitled:Untitled-1';

/** The query's attention row [L][H][T] and the surprisal [T] of a text, from one full forward written out here. */
function reference(model: Transformer, tokenizer: CharTokenizer, text: string, query: number): { rows: Float32Array[][]; surprisal: number[] } {
  const ids = Int32Array.from(tokenizer.encode(text).tokens.map((t) => t.id));
  const T = ids.length;
  const V = model.config.vocabSize;
  const r = model.forward(null, ids, 1, T, { capture: { attention: true } });
  const rows = r.layers.map((l) => Array.from({ length: model.config.nHeads }, (_, h) => l.attention!.slice((h * T + query) * T, (h * T + query + 1) * T)));
  const surprisal = Array.from({ length: T }, (_, i) => (i === 0 ? NaN : -refLogSoftmax(r.logits.data, (i - 1) * V, V)[ids[i]!]!));
  return { rows, surprisal };
}

function close(a: number, b: number, what: string, tol = 1e-5): void {
  if (Number.isNaN(b)) assert.ok(Number.isNaN(a), `${what}: ${a}, expected NaN`);
  else assert.ok(Math.abs(a - b) <= tol, `${what}: ${a}, expected ${b}`);
}

describe('worker/comparison', function () {
  this.timeout(60_000);
  let dir: string;
  let a: { model: Transformer; tokenizer: CharTokenizer };
  let b: { model: Transformer; tokenizer: CharTokenizer };
  before(() => {
    dir = tempDir();
    a = writeCheckpoint(path.join(dir, 'a.safetensors'), 'tiny', SAMPLE_TEXT, 1);
    b = writeCheckpoint(path.join(dir, 'b.safetensors'), 'tiny', SAMPLE_TEXT, 2);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function session(): Promise<Harness> {
    const h = new Harness();
    await h.expect(h.request({ type: 'load', path: path.join(dir, 'a.safetensors'), tokenizerPath: null }), 'modelLoaded');
    return h;
  }

  it('Compare with Edit: tokens aligned by the diff; per-head distance and surprisal equal separate forwards of both texts', async () => {
    const h = await session();
    const original = 'the cat sat on the mat.';
    const edited = 'the dog sat on the mat.'; // "cat" → "dog": tokens 4..6 are new
    await h.expect(h.request({ type: 'tokens', windowStride: 0, documentKey: ORIGINAL, version: 1, text: original, ranges: [] }), 'tokens');
    await h.expect(h.request({ type: 'tokens', windowStride: 0, documentKey: SCRATCH, version: 3, text: edited, ranges: [] }), 'tokens');
    const set = await h.expect(
      h.request({ type: 'compare', documentKey: SCRATCH, with: { kind: 'edit', documentKey: ORIGINAL, token: 0, label: 'original' } }),
      'compareSet',
    );
    assert.equal(set.label, 'original');
    const q = 12; // "n" of "on": after the edit, aligned to the same place
    const v = await h.view('compare', { documentKey: SCRATCH, version: 3, token: q, layer: 0, head: 0 });
    const c = v.comparison!;
    assert.equal(c.kind, 'edit');
    const expectedAligned = [...edited].map((_, i) => (i >= 4 && i <= 6 ? -1 : i));
    assert.deepEqual([...c.aligned], expectedAligned);
    assert.equal(c.otherQuery, q);
    const here = reference(a.model, a.tokenizer, edited, q);
    const there = reference(a.model, a.tokenizer, original, q);
    const { nLayers: L, nHeads: H } = a.model.config;
    const W = edited.length;
    for (let l = 0; l < L; l++) {
      for (let hd = 0; hd < H; hd++) {
        const x = here.rows[l]![hd]!;
        const y = there.rows[l]![hd]!;
        // Keys 4..6 have no counterpart: their weight there (y[4..6]) is mass that moved.
        let tv = 0;
        for (let k = 0; k < W; k++) tv += Math.abs(x[k]! - (expectedAligned[k]! >= 0 ? y[k]! : 0));
        for (const k of [4, 5, 6]) tv += y[k]!;
        close(c.headDelta[l * H + hd]!, tv / 2, `head ${l}.${hd} distance`);
        for (let k = 0; k < W; k++) close(c.rowDelta[(l * H + hd) * W + k]!, x[k]! - (expectedAligned[k]! >= 0 ? y[k]! : 0), `head ${l}.${hd} key ${k}`);
      }
    }
    for (let i = 0; i < W; i++) {
      close(c.surprisal[i]!, here.surprisal[i]!, `surprisal here ${i}`, 1e-4);
      close(c.otherSurprisal[i]!, expectedAligned[i]! >= 0 ? there.surprisal[i]! : NaN, `surprisal there ${i}`, 1e-4);
    }
    // A query inside the edit has no counterpart: only surprisal compares.
    const inEdit = (await h.view('compare', { documentKey: SCRATCH, version: 3, token: 5 })).comparison!;
    assert.equal(inEdit.otherQuery, -1);
    assert.ok(inEdit.headDelta.every(Number.isNaN));
    // Closing the original ends the comparison.
    await h.expect(h.request({ type: 'closeDocument', documentKey: ORIGINAL }), 'closed');
    assert.equal((await h.view('compare', { documentKey: SCRATCH, version: 3, token: q })).comparison, null);
  });

  it('Compare with Checkpoint: the same text under a second model, against both models run here', async () => {
    const h = await session();
    const text = 'the fox ran far away.';
    await h.expect(h.request({ type: 'tokens', windowStride: 0, documentKey: ORIGINAL, version: 1, text, ranges: [] }), 'tokens');
    assert.equal((await h.view('compare', { documentKey: ORIGINAL, version: 1, token: 3 })).comparison, null, 'compared with nothing yet');
    const other = { kind: 'checkpoint', path: path.join(dir, 'b.safetensors'), tokenizerPath: null, label: 'b.safetensors' };
    await h.expect(h.request({ type: 'compare', documentKey: ORIGINAL, with: other }), 'compareSet');
    const q = 9;
    const c = (await h.view('compare', { documentKey: ORIGINAL, version: 1, token: q })).comparison!;
    assert.equal(c.kind, 'checkpoint');
    assert.deepEqual(
      [...c.aligned],
      [...text].map((_, i) => i),
    );
    const here = reference(a.model, a.tokenizer, text, q);
    const there = reference(b.model, b.tokenizer, text, q);
    const { nLayers: L, nHeads: H } = a.model.config;
    for (let l = 0; l < L; l++) {
      for (let hd = 0; hd < H; hd++) {
        let tv = 0;
        for (let k = 0; k < text.length; k++) tv += Math.abs(here.rows[l]![hd]![k]! - there.rows[l]![hd]![k]!);
        close(c.headDelta[l * H + hd]!, tv / 2, `head ${l}.${hd}`);
      }
    }
    for (let i = 1; i < text.length; i++) close(c.otherSurprisal[i]!, there.surprisal[i]!, `surprisal under b, token ${i}`, 1e-4);
    close(c.otherLoss, there.surprisal.slice(1).reduce((s, x) => s + x, 0) / (text.length - 1), 'loss under b', 1e-4);
    // A model of another shape is refused by name.
    const seed = path.join(dir, 'seed.safetensors');
    writeCheckpoint(seed, 'seed', SAMPLE_TEXT);
    const refused = await h.expectFailure(h.request({ type: 'compare', documentKey: ORIGINAL, with: { ...other, path: seed, label: 'seed' } }), 'bad-input');
    assert.match(refused.message, /seed has 1 layers × 4 heads, the active model 2 × 2/);
  });

  it('alignTokens pairs equal ids in order and finds a longest common subsequence (brute force on small cases)', () => {
    const rng = new Rng(3);
    const lcs = (x: number[], y: number[]): number => {
      const memo = new Map<string, number>();
      const go = (i: number, j: number): number => {
        if (i === x.length || j === y.length) return 0;
        const key = `${i},${j}`;
        if (!memo.has(key)) memo.set(key, x[i] === y[j] ? 1 + go(i + 1, j + 1) : Math.max(go(i + 1, j), go(i, j + 1)));
        return memo.get(key)!;
      };
      return go(0, 0);
    };
    for (let n = 0; n < 200; n++) {
      const x = Array.from({ length: rng.int(9) }, () => rng.int(3));
      const y = Array.from({ length: rng.int(9) }, () => rng.int(3));
      const al = [...alignTokens(x, y)];
      const pairs = al.map((j, i) => [i, j] as const).filter(([, j]) => j >= 0);
      for (const [i, j] of pairs) assert.equal(x[i], y[j]);
      for (let p = 1; p < pairs.length; p++) assert.ok(pairs[p]![1] > pairs[p - 1]![1], 'in order');
      assert.equal(pairs.length, lcs(x, y), `${x} vs ${y}`);
    }
    assert.deepEqual([...alignBySpans([0, 2, 5], [2, 5, 6], [0, 2, 4, 5], [2, 4, 5, 6])], [0, -1, 3]);
  });
});
