/**
 * Host messages for the browser tests, built the way the host builds them (the same
 * presentation helpers) from deterministic synthetic runs and attention patterns: a loss curve
 * with a warmup, noise, evaluations and two non-finite steps, and a model whose heads have
 * recognisable jobs (previous token, first token, induction, spread out) over a real text.
 */

import { MatrixAssembly } from '../../src/host/dashboard/matrixAssembly';
import { evalColumns, stepColumns } from '../../src/presentation/metricColumns';
import type { EvalPoint, ModelInfo, StepPoint } from '../../src/protocol/common';
import { DEFAULT_UI_STATE, WEBVIEW_PROTOCOL_VERSION, type HostToWebview, type QueryAttention } from '../../src/protocol/webviewProtocol';

/** Small seeded generator (mulberry32) so every run draws the same picture. */
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

export function trainingRun(n: number, nonFinite: Record<number, number> = { 7000: NaN, 7400: Infinity }): { steps: StepPoint[]; evals: EvalPoint[] } {
  const r = rng(7);
  const steps: StepPoint[] = [];
  const evals: EvalPoint[] = [];
  for (let i = 1; i <= n; i++) {
    const base = 3.2 * Math.exp(-i / 1800) + 1.25;
    const loss = i in nonFinite ? nonFinite[i]! : base + (r() - 0.5) * 0.35 * Math.exp(-i / 6000) + (r() < 0.004 ? 0.8 : 0);
    const lr = i < 300 ? (3e-3 * i) / 300 : 3e-4 + 0.5 * (3e-3 - 3e-4) * (1 + Math.cos((Math.PI * (i - 300)) / (n - 300)));
    steps.push({ step: i, loss, lr, gradNorm: 0.4 + 2 * Math.exp(-i / 900) + r() * 0.2, tokensPerSecond: 41000 + r() * 3000, elapsedMs: i * 34 + r() * 5 });
    if (i % 500 === 0) {
      const valLoss = base + 0.08 + (i / n) * 0.1;
      evals.push({ step: i, valLoss, valAccuracy: Math.min(0.9, 0.15 + 0.5 * (1 - Math.exp(-i / 2500))), valPerplexity: Math.exp(valLoss) });
    }
  }
  return { steps, evals };
}

export const MODEL: ModelInfo = {
  architecture: 'gpt2',
  layers: 2,
  heads: 4,
  kvHeads: 4,
  dModel: 64,
  context: 256,
  vocabSize: 97,
  parameters: 104_929,
  weightsDtype: 'f32',
  weightsBytes: 104_929 * 4,
  tokenizer: 'char (97 tokens)',
  readsText: true,
  source: '/tmp/model.safetensors',
  attentionMode: 'soft',
  causal: true,
  trainedSteps: 10_000,
  runSteps: 10_000,
};

const TEXT = 'The cat sat on the mat. The dog sat on the log. The cat saw the dog, and the dog saw the cat. ';

export const DOCUMENT_KEY = 'file:///workspace/story.txt';

/** Word tokens of a text as long as needed for `count` tokens. */
function tokens(count: number): { labels: string[]; starts: number[]; ends: number[]; ids: number[] } {
  let text = TEXT;
  while ((text.match(/\s*\S+/g) ?? []).length < count) text += TEXT;
  const labels: string[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const ids: number[] = [];
  const vocab = new Map<string, number>();
  for (const m of text.matchAll(/\s*\S+/g)) {
    if (labels.length === count) break;
    labels.push(m[0]);
    starts.push(m.index!);
    ends.push(m.index! + m[0].length);
    const key = m[0].trim().toLowerCase();
    if (!vocab.has(key)) vocab.set(key, vocab.size);
    ids.push(vocab.get(key)!);
  }
  return { labels, starts, ends, ids };
}

export interface Window {
  readonly W: number;
  readonly L: number;
  readonly H: number;
  readonly labels: string[];
  readonly starts: number[];
  readonly ends: number[];
  readonly ids: number[];
  /** [L, H, W, W] weights and raw scores (−Infinity above the diagonal). */
  readonly weights: Float32Array;
  readonly scores: Float32Array;
}

/** Heads with jobs: (h % 4) 0 previous token, 1 first token, 2 induction, 3 spread out. */
export function attentionWindow(W: number, L = 2, H = 4): Window {
  const t = tokens(W);
  const r = rng(11);
  const weights = new Float32Array(L * H * W * W);
  const scores = new Float32Array(L * H * W * W).fill(-Infinity);
  for (let l = 0; l < L; l++) {
    for (let h = 0; h < H; h++) {
      for (let q = 0; q < W; q++) {
        const o = ((l * H + h) * W + q) * W;
        let max = -Infinity;
        for (let k = 0; k <= q; k++) {
          let s = (r() - 0.5) * 0.6;
          const job = h % 4;
          if (job === 0 && k === q - 1) s += 4 + l;
          if (job === 1 && k === 0) s += 3.5;
          if (job === 2 && k >= 1 && k < q && t.ids[k - 1] === t.ids[q]) s += 4;
          if (job === 3) s += 0.3 * Math.sin(k);
          scores[o + k] = s;
          max = Math.max(max, s);
        }
        let sum = 0;
        for (let k = 0; k <= q; k++) sum += Math.exp(scores[o + k]! - max);
        for (let k = 0; k <= q; k++) weights[o + k] = Math.exp(scores[o + k]! - max) / sum;
      }
    }
  }
  return { W, L, H, ...t, weights, scores };
}

const ref = (w: Window, version = 1): { documentKey: string; version: number; windowStart: number; windowLength: number } => ({
  documentKey: DOCUMENT_KEY,
  version,
  windowStart: 0,
  windowLength: w.W,
});

/** The attention message for query token q, sliced from the window like the worker does. */
export function queryAttention(w: Window, q: number, version = 1): QueryAttention {
  const { W, L, H } = w;
  const rows = new Float32Array(L * H * W);
  const columns = new Float32Array(L * H * W);
  const scores = new Float32Array(L * H * W);
  for (let lh = 0; lh < L * H; lh++) {
    rows.set(w.weights.subarray((lh * W + q) * W, (lh * W + q + 1) * W), lh * W);
    scores.set(w.scores.subarray((lh * W + q) * W, (lh * W + q + 1) * W), lh * W);
    for (let k = q; k < W; k++) columns[lh * W + k] = w.weights[(lh * W + k) * W + q]!;
  }
  return {
    ...ref(w, version),
    documentName: 'story.txt',
    from: q,
    to: q + 1,
    layers: L,
    heads: H,
    tokens: { first: 0, ids: Int32Array.from(w.ids), starts: Int32Array.from(w.starts), ends: Int32Array.from(w.ends), labels: w.labels },
    rows,
    columns,
    scores,
  };
}

/** The matrix view message the host sends for the window's whole [L, H, W, W] block (the engine's matrix payload). */
export function matrixMessages(w: Window, layer: number, head: number, version = 1): HostToWebview[] {
  const m = new MatrixAssembly(ref(w, version), w.L, w.H, w.weights.slice());
  return [{ type: 'view', view: 'matrix', payload: { ...m.window, matrix: m.headMatrix(layer, head), grid: m.grid() } }];
}

export function init(
  o: { steps?: StepPoint[]; evals?: EvalPoint[]; attention?: QueryAttention | null; status?: 'running' | 'completed' | 'idle' } = {},
): HostToWebview {
  const steps = o.steps ?? [];
  return {
    type: 'init',
    protocolVersion: WEBVIEW_PROTOCOL_VERSION,
    ui: DEFAULT_UI_STATE,
    model: MODEL,
    selection: { layer: 0, head: 0 },
    run: { status: o.status ?? (steps.length ? 'completed' : 'idle'), label: 'story.txt', totalSteps: steps.length, message: null },
    steps: stepColumns(steps),
    evals: evalColumns(o.evals ?? []),
    attention: o.attention ?? null,
  };
}
