/**
 * Payloads of the dashboard's debugging views (surprisal, logit lens, head ablation,
 * attribution) for the browser tests, computed here from the fixture window's own made-up
 * logits with a plain float64 softmax — not by the engine — so a test that compares the page
 * with these numbers checks the page against an independent computation.
 */

import type { AblationSweepView, AttributionView, LogitLensView, TokenSurprisal } from '../../src/protocol/dashboardViews';
import { DOCUMENT_KEY, type Window } from './fixtures';

/** Seeded generator (mulberry32), separate from the attention fixture's stream. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The window's vocabulary: id → label (" word"), as the fixture's word ids number them. */
export function vocabulary(w: Window): string[] {
  const labels: string[] = [];
  for (let i = 0; i < w.W; i++) labels[w.ids[i]!] ??= ` ${w.labels[i]!.trim().toLowerCase()}`;
  return labels;
}

/**
 * Next-token logits [W][V] of a made-up model that has learned the window's bigrams: at
 * position i, a word that followed token i's word earlier in the window gets +3, plus noise.
 */
export function logits(w: Window): number[][] {
  const V = vocabulary(w).length;
  const r = rng(23);
  return Array.from({ length: w.W }, (_, i) =>
    Array.from({ length: V }, (_, v) => {
      let seen = false;
      for (let j = 0; j < i; j++) if (w.ids[j] === w.ids[i] && w.ids[j + 1] === v) seen = true;
      return (r() - 0.5) * 2 + (seen ? 3 : 0);
    }),
  );
}

export function softmax(z: readonly number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** Ids by descending probability (ties: smaller id first). */
function ranked(p: readonly number[]): number[] {
  return [...p.keys()].sort((a, b) => p[b]! - p[a]! || a - b);
}

const ref = (w: Window): { documentKey: string; version: number; windowStart: number; windowLength: number } => ({
  documentKey: DOCUMENT_KEY,
  version: 1,
  windowStart: 0,
  windowLength: w.W,
});

export function surprisal(w: Window, k = 5): TokenSurprisal {
  const vocab = vocabulary(w);
  const probs = logits(w).map(softmax);
  const s = new Float32Array(w.W).fill(NaN);
  const nextProb = new Float32Array(w.W).fill(NaN);
  const nextRank = new Int32Array(w.W);
  const topIds = new Int32Array(w.W * k);
  const topProbs = new Float32Array(w.W * k);
  const topLabels: string[] = [];
  let total = 0;
  for (let i = 0; i < w.W; i++) {
    const p = probs[i]!;
    const order = ranked(p);
    for (let j = 0; j < k; j++) {
      topIds[i * k + j] = order[j]!;
      topProbs[i * k + j] = p[order[j]!]!;
      topLabels.push(vocab[order[j]!]!);
    }
    if (i + 1 < w.W) {
      const next = w.ids[i + 1]!;
      nextProb[i] = p[next]!;
      nextRank[i] = 1 + p.filter((x) => x > p[next]!).length;
      s[i + 1] = -Math.log(p[next]!);
      total += -Math.log(p[next]!);
    }
  }
  return { ...ref(w), surprisal: s, loss: total / (w.W - 1), k, topIds, topProbs, topLabels, nextRank, nextProb };
}

/** The logit lens at query q: layer l reads (l + 1)/L of the final logits plus fading noise; the last layer is exactly the model's. */
export function lens(w: Window, q: number, k = 8): LogitLensView {
  const vocab = vocabulary(w);
  const final = logits(w)[q]!;
  const r = rng(31 + q);
  const L = w.L + 2; // a deeper model than the attention fixture makes the table more telling
  const topIds = new Int32Array(L * k);
  const topProbs = new Float32Array(L * k);
  const topLabels: string[] = [];
  const nextId = q + 1 < w.W ? w.ids[q + 1]! : -1;
  const nextProbs = new Float32Array(L);
  for (let l = 0; l < L; l++) {
    const f = (l + 1) / L;
    const p = softmax(final.map((z) => z * f + (l === L - 1 ? 0 : (r() - 0.5) * 4 * (1 - f))));
    const order = ranked(p);
    for (let j = 0; j < k; j++) {
      topIds[l * k + j] = order[j]!;
      topProbs[l * k + j] = p[order[j]!]!;
      topLabels.push(vocab[order[j]!]!);
    }
    nextProbs[l] = nextId >= 0 ? p[nextId]! : NaN;
  }
  return { ...ref(w), query: q, layers: L, k, topIds, topProbs, topLabels, nextId, nextLabel: nextId >= 0 ? vocab[nextId]! : '', nextProbs };
}

/** Head (1, 2) carries the prediction, head (0, 3) works against it, the rest barely matter. */
export function ablation(w: Window, q: number): AblationSweepView {
  const r = rng(41);
  const target = w.ids[q + 1]!;
  const effects = Float32Array.from({ length: w.L * w.H }, (_, i) => (i === 1 * w.H + 2 ? -1.75 : i === 0 * w.H + 3 ? 0.42 : (r() - 0.5) * 0.1));
  const logProb = Math.log(softmax(logits(w)[q]!)[target]!);
  return { ...ref(w), query: q, layers: w.L, heads: w.H, targetId: target, targetLabel: vocabulary(w)[target]!, logProb, effects };
}

/** Token 3 supports the prediction most, token 1 works against it; they sum to the log p gain minus `gap`. */
export function attribution(w: Window, q: number, gap = 0.0021): AttributionView {
  const r = rng(53);
  const target = w.ids[q + 1]!;
  const vocab = vocabulary(w);
  const logProb = Math.log(softmax(logits(w)[q]!)[target]!);
  const baselineLogProb = -Math.log(vocab.length);
  const a = Array.from({ length: q + 1 }, (_, k) => (k === 3 ? 1.3 : k === 1 ? -0.9 : (r() - 0.5) * 0.2));
  const rest = logProb - baselineLogProb - gap - a.reduce((x, y) => x + y, 0);
  a[q] = a[q]! + rest;
  return {
    ...ref(w),
    query: q,
    method: 'ig',
    steps: 64,
    targetId: target,
    targetLabel: vocab[target]!,
    logProb,
    baselineLogProb,
    attributions: Float32Array.from(a),
    completenessGap: gap,
  };
}
