/**
 * The dashboard's attention flow and repeated-random-tokens test as the worker answers them,
 * each against a computation written here: flow against a plain augmenting-path max-flow over
 * a dense capacity matrix built from a direct forward's weights (heads averaged, residual added,
 * rows renormalised), and the induction test's stripes and per-half losses against the forward
 * of the very sequences it reports.
 */

import assert from 'node:assert/strict';
import { refLogSoftmax } from '../../helpers/analysisModels';
import { perturbedTinySuite } from './harness';

const DOC = 'untitled:model-tests';
const TEXT = 'the cat sat on';

/** Max-flow from s to t in a dense capacity matrix (DFS augmenting paths until none is left). */
function maxFlow(cap: number[][], s: number, t: number): number {
  const n = cap.length;
  const r = cap.map((row) => row.slice());
  let total = 0;
  for (;;) {
    const parent = new Array<number>(n).fill(-1);
    parent[s] = s;
    const stack = [s];
    while (stack.length > 0 && parent[t] === -1) {
      const u = stack.pop()!;
      for (let v = 0; v < n; v++) {
        if (parent[v] === -1 && r[u]![v]! > 1e-12) {
          parent[v] = u;
          stack.push(v);
        }
      }
    }
    if (parent[t] === -1) return total;
    let push = Infinity;
    for (let v = t; v !== s; v = parent[v]!) push = Math.min(push, r[parent[v]!]![v]!);
    for (let v = t; v !== s; v = parent[v]!) {
      r[parent[v]!]![v]! -= push;
      r[v]![parent[v]!]! += push;
    }
    total += push;
  }
}

describe('worker: attention flow and the repeated-random-tokens test', function () {
  this.timeout(120_000);
  const fx = perturbedTinySuite(11, DOC, TEXT);

  it('flow from the query at the top layer equals a max-flow through the layered attention graph, normalised', async () => {
    const h = await fx.ready();
    const T = fx.ids.length;
    const { nLayers: L, nHeads: H } = fx.model.config;
    const q = 9;
    const id = h.request({ type: 'view', view: 'flow', documentKey: DOC, version: 1, token: q, layer: 0, head: 0 });
    const r = await h.expect(id, 'view');
    assert.equal(r.view, 'flow');
    const f = r.payload as { flow: Float32Array; query: number; layers: number };
    assert.deepEqual([f.query, f.layers, f.flow.length], [q, L, T]);
    assert.equal(h.of('progress', id).length, T, 'one progress report per max-flow');

    // Â_l = rownorm(mean over heads of A_l + I); node (l, i) is l·T + i; edges (l, q) → (l − 1, k).
    const a = fx.model.forward(null, fx.ids, 1, T, { capture: { attention: true } }).layers.map((x) => x.attention!);
    const N = (L + 1) * T;
    const cap = Array.from({ length: N }, () => new Array<number>(N).fill(0));
    for (let l = 1; l <= L; l++) {
      for (let i = 0; i < T; i++) {
        const row = Array.from({ length: T }, (_, k) => {
          let m = 0;
          for (let hd = 0; hd < H; hd++) m += a[l - 1]![(hd * T + i) * T + k]! / H;
          return m + (k === i ? 1 : 0);
        });
        const sum = row.reduce((x, y) => x + y, 0);
        row.forEach((v, k) => (cap[l * T + i]![(l - 1) * T + k] = v / sum));
      }
    }
    const raw = Array.from({ length: T }, (_, k) => maxFlow(cap, L * T + q, k));
    const total = raw.reduce((x, y) => x + y, 0);
    for (let k = 0; k < T; k++) assert.ok(Math.abs(f.flow[k]! - raw[k]! / total) < 1e-5, `token ${k}: ${f.flow[k]} vs ${raw[k]! / total}`);
    for (let k = q + 1; k < T; k++) assert.equal(f.flow[k], 0, 'nothing flows to later tokens');
  });

  it('the induction test: stripes over second-copy queries and the loss on each copy, from the sequences it reports', async () => {
    const h = await fx.ready();
    const r = await h.expect(h.request({ type: 'view', view: 'induction', documentKey: DOC, version: 1, token: 0, layer: 0, head: 0 }), 'view');
    assert.equal(r.view, 'induction');
    const v = r.payload as import('../../../src/protocol/dashboardViews').InductionTestView;
    const { nLayers: L, nHeads: H, vocabSize: V, contextLength } = fx.model.config;
    assert.equal(v.bos, false, 'a character tokenizer has no BOS');
    const N = v.half;
    const n = 2 * N;
    assert.ok(n <= contextLength && N >= 2);
    assert.equal(v.ids.length, v.batch * n);
    for (let b = 0; b < v.batch; b++) for (let i = 0; i < N; i++) assert.equal(v.ids[b * n + i], v.ids[b * n + N + i], `sequence ${b} repeats token ${i}`);

    const out = fx.model.forward(null, v.ids, v.batch, n, { capture: { attention: true } });
    for (let l = 0; l < L; l++) {
      const a = out.layers[l]!.attention!;
      for (let hd = 0; hd < H; hd++) {
        let ind = 0;
        let dup = 0;
        let prev = 0;
        for (let b = 0; b < v.batch; b++) {
          const o = (b * H + hd) * n * n;
          let si = 0;
          let sd = 0;
          let sp = 0;
          for (let q = N; q < n; q++) {
            si += a[o + q * n + q - N + 1]!;
            sd += a[o + q * n + q - N]!;
          }
          for (let q = 1; q < n; q++) sp += a[o + q * n + q - 1]!;
          ind += si / N / v.batch;
          dup += sd / N / v.batch;
          prev += sp / (n - 1) / v.batch;
        }
        const i = l * H + hd;
        assert.ok(Math.abs(v.induction[i]! - ind) < 1e-5, `induction ${l}.${hd}: ${v.induction[i]} vs ${ind}`);
        assert.ok(Math.abs(v.duplicate[i]! - dup) < 1e-5, `duplicate ${l}.${hd}`);
        assert.ok(Math.abs(v.previousToken[i]! - prev) < 1e-5, `previous token ${l}.${hd}`);
      }
    }
    // loss[t] predicts token t + 1: the first copy's predictions are t = 0..N−2, the second's t = N..n−2.
    const loss = (t: number): number => {
      let s = 0;
      for (let b = 0; b < v.batch; b++) s -= refLogSoftmax(out.logits.data, (b * n + t) * V, V)[v.ids[b * n + t + 1]!]!;
      return s / v.batch;
    };
    let first = 0;
    for (let t = 0; t < N - 1; t++) first += loss(t) / (N - 1);
    let second = 0;
    for (let t = N; t < n - 1; t++) second += loss(t) / (n - 1 - N);
    assert.ok(Math.abs(v.lossFirstHalf - first) < 1e-4, `first copy ${v.lossFirstHalf} vs ${first}`);
    assert.ok(Math.abs(v.lossSecondHalf - second) < 1e-4, `second copy ${v.lossSecondHalf} vs ${second}`);
  });
});
