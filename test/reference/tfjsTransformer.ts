/**
 * An independent implementation of the engine's GPT-style model (and of the tutorial's `seed`
 * model), written with TensorFlow.js ops. It is the oracle the whole-model tests compare the
 * engine against, and the peer the benchmarks time (tfjs-backend-cpu and tfjs-backend-wasm).
 *
 * Why it is independent: it imports nothing from src/engine. The only thing it shares with
 * the engine is the checkpoint contract — parameter names and layouts (`tok_emb` [V, C],
 * `blocks.{l}.attn.q.weight` [out, in], …) — and it re-derives everything else from the
 * maths: its own parameter list, a forward pass composed of tfjs primitives (gather, matMul,
 * softmax with an additive causal mask, explicit LayerNorm, GELU-tanh, logSoftmax), and
 * gradients from tfjs's automatic differentiation (tf.valueAndGrads) rather than the
 * engine's hand-written backward passes. A mistake in a fused kernel or a backward closure
 * of the engine therefore cannot be mirrored here.
 *
 * Supported: architecture 'gpt' and 'seed' — learned positions, LayerNorm (with or without
 * bias) or no norm, GELU MLP or none, biases on or off, tied or untied head, soft attention,
 * no dropout; and architecture 'llama' — RMSNorm, rotary positions (Meta's interleaved pairs
 * or Hugging Face's rotate-half pairs), SwiGLU MLP and grouped-query attention (query head h
 * reads key/value head ⌊h / (nHeads / nKvHeads)⌋). Anything else is rejected by name.
 *
 * Backends: 'cpu' is the oracle (tests); 'cpu' and 'wasm' are benchmark peers. On 'wasm'
 * the embedding lookup is a one-hot matMul because that backend has no kernel for
 * tf.gather's gradient.
 */

import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';

/** The fields of a model config this reference reads (a ModelConfig fits it structurally). */
export interface RefConfig {
  readonly architecture: string;
  readonly vocabSize: number;
  readonly contextLength: number;
  readonly dModel: number;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly nKvHeads?: number;
  readonly mlpHidden: number;
  /** 'layernorm' or 'none'. */
  readonly norm: string;
  readonly normEps: number;
  /** 'learned' (or 'none'). */
  readonly positional: string;
  /** 'gelu' or 'none'. */
  readonly mlp: string;
  readonly bias: boolean;
  readonly tiedEmbeddings: boolean;
  readonly attentionMode?: string;
  readonly dropout?: number;
  /** Rotary base (positional 'rope'). */
  readonly ropeTheta?: number;
  /** 'interleaved': pairs (2m, 2m+1); 'half': pairs (m, m + hs/2). */
  readonly ropeStyle?: string;
}

export type Weights = ReadonlyMap<string, Float32Array>;

/** Parameter names and shapes the reference expects, derived here from the architecture. */
export function referenceParamShapes(cfg: RefConfig): [name: string, shape: number[]][] {
  checkSupported(cfg);
  const C = cfg.dModel;
  const out: [string, number[]][] = [];
  const linear = (prefix: string, o: number, i: number): void => {
    out.push([`${prefix}.weight`, [o, i]]);
    if (cfg.bias) out.push([`${prefix}.bias`, [o]]);
  };
  const norm = (prefix: string): void => {
    if (cfg.norm === 'none') return;
    out.push([`${prefix}.weight`, [C]]);
    if (cfg.bias && cfg.norm !== 'rmsnorm') out.push([`${prefix}.bias`, [C]]);
  };
  const kvC = (cfg.nKvHeads ?? cfg.nHeads) * (C / cfg.nHeads);
  out.push(['tok_emb', [cfg.vocabSize, C]]);
  if (cfg.positional === 'learned') out.push(['pos_emb', [cfg.contextLength, C]]);
  for (let l = 0; l < cfg.nLayers; l++) {
    norm(`blocks.${l}.norm1`);
    linear(`blocks.${l}.attn.q`, C, C);
    linear(`blocks.${l}.attn.k`, kvC, C);
    linear(`blocks.${l}.attn.v`, kvC, C);
    linear(`blocks.${l}.attn.o`, C, C);
    if (cfg.mlp === 'none') continue;
    norm(`blocks.${l}.norm2`);
    if (cfg.mlp === 'swiglu') {
      linear(`blocks.${l}.mlp.gate`, cfg.mlpHidden, C);
      linear(`blocks.${l}.mlp.up`, cfg.mlpHidden, C);
      linear(`blocks.${l}.mlp.down`, C, cfg.mlpHidden);
      continue;
    }
    linear(`blocks.${l}.mlp.fc`, cfg.mlpHidden, C);
    linear(`blocks.${l}.mlp.proj`, C, cfg.mlpHidden);
  }
  norm('norm_f');
  if (!cfg.tiedEmbeddings) linear('lm_head', cfg.vocabSize, C);
  return out;
}

function checkSupported(cfg: RefConfig): void {
  const bad = (what: string): never => {
    throw new Error(`tfjs reference: unsupported ${what}`);
  };
  if (cfg.architecture !== 'gpt' && cfg.architecture !== 'seed' && cfg.architecture !== 'llama') bad(`architecture "${cfg.architecture}"`);
  if (cfg.norm !== 'layernorm' && cfg.norm !== 'rmsnorm' && cfg.norm !== 'none') bad(`norm "${cfg.norm}"`);
  if (cfg.mlp !== 'gelu' && cfg.mlp !== 'swiglu' && cfg.mlp !== 'none') bad(`mlp "${cfg.mlp}"`);
  if (cfg.positional !== 'learned' && cfg.positional !== 'rope' && cfg.positional !== 'none') bad(`positional "${cfg.positional}"`);
  if (cfg.positional === 'rope' && cfg.ropeStyle !== 'interleaved' && cfg.ropeStyle !== 'half') bad(`rope style "${cfg.ropeStyle}"`);
  if (cfg.positional === 'rope' && !(cfg.ropeTheta !== undefined && cfg.ropeTheta > 0)) bad(`rope theta ${cfg.ropeTheta}`);
  if (cfg.positional === 'rope' && (cfg.dModel / cfg.nHeads) % 2 !== 0) bad(`rope with an odd head size ${cfg.dModel / cfg.nHeads}`);
  if (cfg.nKvHeads !== undefined && (cfg.nKvHeads <= 0 || cfg.nHeads % cfg.nKvHeads !== 0))
    bad(`grouped-query attention (${cfg.nHeads} heads, ${cfg.nKvHeads} kv heads)`);
  if (cfg.attentionMode !== undefined && cfg.attentionMode !== 'soft') bad(`attention mode "${cfg.attentionMode}"`);
  if (cfg.dropout) bad(`dropout ${cfg.dropout}`);
  if (cfg.dModel % cfg.nHeads !== 0) bad(`dModel ${cfg.dModel} with ${cfg.nHeads} heads`);
}

type P = ReadonlyMap<string, tf.Tensor>;

function need(p: P, name: string): tf.Tensor {
  const t = p.get(name);
  if (!t) throw new Error(`tfjs reference: missing parameter ${name}`);
  return t;
}

/** x [N, in] → x·Wᵀ + b with W stored [out, in]. */
function linear(p: P, x: tf.Tensor2D, prefix: string): tf.Tensor2D {
  const y: tf.Tensor2D = tf.matMul(x, need(p, `${prefix}.weight`) as tf.Tensor2D, false, true);
  const b = p.get(`${prefix}.bias`);
  return b ? tf.add<tf.Tensor2D>(y, b) : y;
}

/** LayerNorm over the last axis, biased variance, written out so autodiff derives its gradient. */
function layerNorm(cfg: RefConfig, p: P, x: tf.Tensor2D, prefix: string): tf.Tensor2D {
  if (cfg.norm === 'none') return x;
  if (cfg.norm === 'rmsnorm') return rmsNorm(cfg, p, x, prefix);
  const mean = tf.mean(x, -1, true);
  const xc = tf.sub(x, mean);
  const variance = tf.mean(tf.square(xc), -1, true);
  let y: tf.Tensor2D = tf.mul(xc, tf.rsqrt(tf.add(variance, cfg.normEps)));
  y = tf.mul(y, need(p, `${prefix}.weight`)) as tf.Tensor2D;
  const b = p.get(`${prefix}.bias`);
  return b ? tf.add(y, b) : y;
}

/** RMSNorm over the last axis: x / √(mean(x²) + ε) · w (no centring, no bias). */
function rmsNorm(cfg: RefConfig, p: P, x: tf.Tensor2D, prefix: string): tf.Tensor2D {
  const ms = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, cfg.normEps))), need(p, `${prefix}.weight`)) as tf.Tensor2D;
}

/** SwiGLU: down( silu(gate·x) ⊙ up·x ), silu(z) = z·σ(z). */
function swiglu(p: P, x: tf.Tensor2D, prefix: string): tf.Tensor2D {
  const g = linear(p, x, `${prefix}.gate`);
  const silu = tf.mul(g, tf.sigmoid(g)) as tf.Tensor2D;
  return linear(p, tf.mul(silu, linear(p, x, `${prefix}.up`)) as tf.Tensor2D, `${prefix}.down`);
}

/**
 * Rotary positions on [B, T, nh, hs] (heads split, before the transpose): the pair (a, b) at
 * position t and frequency index m turns by t·θ^(−2m/hs): (a cos − b sin, a sin + b cos).
 * Angles in float64 here, as Meta's and Hugging Face's code compute them.
 */
function rotary(cfg: RefConfig, x: tf.Tensor4D): tf.Tensor4D {
  const [B, T, nh, hs] = x.shape;
  const half = hs / 2;
  const cos = new Float32Array(T * half),
    sin = new Float32Array(T * half);
  for (let t = 0; t < T; t++) {
    for (let m = 0; m < half; m++) {
      const angle = t * Math.pow(cfg.ropeTheta!, (-2 * m) / hs);
      cos[t * half + m] = Math.cos(angle);
      sin[t * half + m] = Math.sin(angle);
    }
  }
  if (cfg.ropeStyle === 'interleaved') {
    const c = tf.tensor(cos, [1, T, 1, half, 1]),
      s = tf.tensor(sin, [1, T, 1, half, 1]);
    const pairs = tf.reshape(x, [B, T, nh, half, 2]);
    const [a, b] = tf.split(pairs, 2, 4);
    const r = tf.concat([tf.sub(tf.mul(a!, c), tf.mul(b!, s)), tf.add(tf.mul(a!, s), tf.mul(b!, c))], 4);
    return tf.reshape(r, [B, T, nh, hs]);
  }
  const c = tf.tensor(cos, [1, T, 1, half]),
    s = tf.tensor(sin, [1, T, 1, half]);
  const [a, b] = tf.split(x, 2, 3);
  return tf.concat([tf.sub(tf.mul(a!, c), tf.mul(b!, s)), tf.add(tf.mul(a!, s), tf.mul(b!, c))], 3) as tf.Tensor4D;
}

/** [B, Hkv, T, hs] → [B, H, T, hs]: each key/value head repeated for its H/Hkv query heads, in order. */
function repeatKv(x: tf.Tensor4D, H: number): tf.Tensor4D {
  const [B, Hkv, T, hs] = x.shape;
  if (Hkv === H) return x;
  const g = H / Hkv;
  // Rank 4 (T·hs merged): tfjs has no gradient for a rank-5 tile.
  return tf.reshape(tf.tile(tf.reshape(x, [B, Hkv, 1, T * hs]), [1, 1, g, 1]), [B, H, T, hs]);
}

/** GPT-2's tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
function geluTanh(x: tf.Tensor2D): tf.Tensor2D {
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

/**
 * Rows of the table for the ids. tf.gather's gradient needs the UnsortedSegmentSum kernel,
 * which tfjs-backend-wasm lacks; there the same rows are taken as oneHot(ids)·table, whose
 * gradient is a matMul. Both are exact (a one-hot row selects one product term).
 */
function embed(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  if (tf.getKernel('UnsortedSegmentSum', tf.getBackend())) return tf.gather(table, ids) as tf.Tensor2D;
  return tf.matMul(tf.oneHot(ids, table.shape[0]).toFloat(), table);
}

export interface RefForward {
  /** [B·T, V] */
  readonly logits: tf.Tensor2D;
  /** Post-softmax weights per layer, [B, H, T, T] each (only when asked for). */
  readonly attention: tf.Tensor4D[];
}

/**
 * Optional hook on each layer's per-head attention outputs Σα·v, [B, H, T, hs], before the
 * heads are merged and projected: returns what the layer uses instead (head-ablation tests).
 */
export type RefHeadHook = (layer: number, heads: tf.Tensor4D) => tf.Tensor4D;

/** The model as a pure function of its parameter tensors (call inside tf.tidy or a gradient). */
export function referenceForward(cfg: RefConfig, p: P, ids: tf.Tensor1D, B: number, T: number, keepAttention = false, headHook?: RefHeadHook): RefForward {
  checkSupported(cfg);
  const C = cfg.dModel,
    H = cfg.nHeads,
    hs = C / H;
  if (T > cfg.contextLength) throw new Error(`tfjs reference: ${T} tokens exceed the context of ${cfg.contextLength}`);
  let x = embed(need(p, 'tok_emb') as tf.Tensor2D, ids); // [B·T, C]
  if (cfg.positional === 'learned') {
    const pos = tf.slice(need(p, 'pos_emb'), [0, 0], [T, C]);
    x = tf.reshape(tf.add(tf.reshape(x, [B, T, C]), pos), [B * T, C]);
  }
  // 0 on and below the diagonal, −1e9 above: exp underflows to exactly 0 for future keys.
  const lower = tf.linalg.bandPart(tf.ones([T, T]), -1, 0);
  const maskAdd = tf.mul(tf.sub(1, lower), -1e9);
  const scale = 1 / Math.sqrt(hs);
  const Hkv = cfg.nKvHeads ?? H;
  /** [B·T, nh·hs] → [B, nh, T, hs], rotated first when the model uses rotary positions. */
  const toHeads = (t: tf.Tensor2D, nh = H, rotate = false): tf.Tensor4D => {
    const split = tf.reshape(t, [B, T, nh, hs]) as tf.Tensor4D;
    return tf.transpose(rotate && cfg.positional === 'rope' ? rotary(cfg, split) : split, [0, 2, 1, 3]);
  };
  const attention: tf.Tensor4D[] = [];

  for (let l = 0; l < cfg.nLayers; l++) {
    const pre = `blocks.${l}`;
    const h = layerNorm(cfg, p, x, `${pre}.norm1`);
    const q = toHeads(linear(p, h, `${pre}.attn.q`), H, true);
    const k = repeatKv(toHeads(linear(p, h, `${pre}.attn.k`), Hkv, true), H);
    const v = repeatKv(toHeads(linear(p, h, `${pre}.attn.v`), Hkv), H);
    const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), scale), maskAdd); // [B, H, T, T]
    const weights = tf.softmax(scores) as tf.Tensor4D;
    if (keepAttention) attention.push(weights);
    const rawHeads = tf.matMul(weights, v) as tf.Tensor4D; // [B, H, T, hs]
    const heads = headHook ? headHook(l, rawHeads) : rawHeads;
    const merged = tf.reshape(tf.transpose(heads, [0, 2, 1, 3]), [B * T, C]) as tf.Tensor2D;
    x = tf.add(x, linear(p, merged, `${pre}.attn.o`));
    if (cfg.mlp === 'none') continue;
    const h2 = layerNorm(cfg, p, x, `${pre}.norm2`);
    if (cfg.mlp === 'swiglu') {
      x = tf.add(x, swiglu(p, h2, `${pre}.mlp`));
      continue;
    }
    x = tf.add(x, linear(p, geluTanh(linear(p, h2, `${pre}.mlp.fc`)), `${pre}.mlp.proj`));
  }
  x = layerNorm(cfg, p, x, 'norm_f');
  const logits: tf.Tensor2D = cfg.tiedEmbeddings ? tf.matMul(x, need(p, 'tok_emb') as tf.Tensor2D, false, true) : linear(p, x, 'lm_head');
  return { logits, attention };
}

/** Mean over positions with target ≥ 0 of −log softmax(logits)[target]. */
export function referenceLoss(logits: tf.Tensor2D, targets: Int32Array): tf.Scalar {
  const V = logits.shape[1];
  let count = 0;
  const valid = new Float32Array(targets.length);
  const safe = new Int32Array(targets.length);
  for (let i = 0; i < targets.length; i++) {
    if (targets[i]! >= 0) {
      valid[i] = 1;
      safe[i] = targets[i]!;
      count++;
    }
  }
  if (count === 0) throw new Error('tfjs reference: every target is ignored');
  const onehot = tf.mul(tf.oneHot(tf.tensor1d(safe, 'int32'), V), tf.tensor2d(valid, [targets.length, 1]));
  return tf.div(tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)))), count) as tf.Scalar;
}

function toTensors(cfg: RefConfig, weights: Weights): { names: string[]; tensors: tf.Tensor[] } {
  const names: string[] = [];
  const tensors: tf.Tensor[] = [];
  for (const [name, shape] of referenceParamShapes(cfg)) {
    const w = weights.get(name);
    const n = shape.reduce((a, b) => a * b, 1);
    if (!w) throw new Error(`tfjs reference: no weights for ${name} [${shape.join(', ')}]`);
    if (w.length !== n) throw new Error(`tfjs reference: ${name} has ${w.length} values, [${shape.join(', ')}] needs ${n}`);
    names.push(name);
    tensors.push(tf.tensor(w, shape, 'float32'));
  }
  return { names, tensors };
}

function asMap(names: readonly string[], tensors: readonly tf.Tensor[]): Map<string, tf.Tensor> {
  return new Map(names.map((n, i) => [n, tensors[i]!]));
}

export interface RefLossAndGrads {
  readonly loss: number;
  /** [B·T·V] */
  readonly logits: Float32Array;
  /** d(loss)/d(parameter), keyed by parameter name, same layout as the weights. */
  readonly grads: Map<string, Float32Array>;
}

/** Loss, logits and every parameter's gradient for one batch, on the active tfjs backend. */
export function referenceLossAndGrads(cfg: RefConfig, weights: Weights, ids: Int32Array, targets: Int32Array, B: number, T: number): RefLossAndGrads {
  if (ids.length !== B * T || targets.length !== B * T) throw new Error(`tfjs reference: need ${B * T} ids and targets`);
  let out = null as RefLossAndGrads | null;
  tf.tidy(() => {
    const { names, tensors } = toTensors(cfg, weights);
    const idsT = tf.tensor1d(ids, 'int32');
    const logits = referenceForward(cfg, asMap(names, tensors), idsT, B, T).logits;
    const f = (...ps: tf.Tensor[]): tf.Scalar => referenceLoss(referenceForward(cfg, asMap(names, ps), idsT, B, T).logits, targets);
    const { value, grads } = tf.valueAndGrads(f)(tensors);
    out = {
      loss: value.dataSync()[0]!,
      logits: Float32Array.from(logits.dataSync() as Float32Array),
      grads: new Map(names.map((n, i) => [n, Float32Array.from(grads[i]!.dataSync() as Float32Array)])),
    };
  });
  return out!;
}

export interface RefAdamWOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Decoupled decay, applied to parameters of rank ≥ 2 only. */
  readonly weightDecay: number;
  /** Global gradient-norm clip (0 = off). */
  readonly gradClip: number;
}

export const REF_ADAMW: RefAdamWOptions = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1 };

/**
 * Global-norm clipping then one AdamW update, with tf ops (call inside tf.tidy):
 *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,
 *   w ← w − lr·( (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε) + λ·w )   (λ only for rank ≥ 2).
 */
export function adamwUpdate(
  params: readonly tf.Tensor[],
  grads: readonly tf.Tensor[],
  m: readonly tf.Tensor[],
  v: readonly tf.Tensor[],
  t: number,
  lr: number,
  o: RefAdamWOptions,
): { params: tf.Tensor[]; m: tf.Tensor[]; v: tf.Tensor[]; gradNorm: tf.Scalar } {
  const gradNorm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
  let gs = grads;
  if (o.gradClip > 0) {
    const s = tf.where(tf.greater(gradNorm, o.gradClip), tf.div(o.gradClip, tf.add(gradNorm, 1e-6)), tf.scalar(1));
    gs = grads.map((g) => tf.mul(g, s));
  }
  const c1 = 1 - Math.pow(o.beta1, t);
  const c2 = 1 - Math.pow(o.beta2, t);
  const out = { params: [] as tf.Tensor[], m: [] as tf.Tensor[], v: [] as tf.Tensor[], gradNorm };
  params.forEach((w, i) => {
    const g = gs[i]!;
    const mi = tf.add(tf.mul(o.beta1, m[i]!), tf.mul(1 - o.beta1, g));
    const vi = tf.add(tf.mul(o.beta2, v[i]!), tf.mul(1 - o.beta2, tf.square(g)));
    let upd = tf.div(tf.div(mi, c1), tf.add(tf.sqrt(tf.div(vi, c2)), o.eps));
    if (w.rank >= 2 && o.weightDecay > 0) upd = tf.add(upd, tf.mul(o.weightDecay, w));
    out.params.push(tf.sub(w, tf.mul(lr, upd)));
    out.m.push(mi);
    out.v.push(vi);
  });
  return out;
}

/** Forward + backward + clip + AdamW, holding parameters and moments as tfjs tensors. */
export class TfjsTrainer {
  readonly cfg: RefConfig;
  private readonly names: string[];
  private params: tf.Tensor[];
  private m: tf.Tensor[];
  private v: tf.Tensor[];
  private t = 0;
  private readonly options: RefAdamWOptions;

  constructor(cfg: RefConfig, weights: Weights, options: RefAdamWOptions = REF_ADAMW) {
    this.cfg = cfg;
    this.options = options;
    const { names, tensors } = toTensors(cfg, weights);
    this.names = names;
    this.params = tensors;
    this.m = tensors.map((p) => tf.zerosLike(p));
    this.v = tensors.map((p) => tf.zerosLike(p));
  }

  /** One optimisation step; returns the loss before the update and the gradient norm before clipping. */
  step(ids: Int32Array, targets: Int32Array, B: number, T: number, lr: number): { loss: number; gradNorm: number } {
    this.t++;
    const res = tf.tidy(() => {
      const idsT = tf.tensor1d(ids, 'int32');
      const f = (...ps: tf.Tensor[]): tf.Scalar => referenceLoss(referenceForward(this.cfg, asMap(this.names, ps), idsT, B, T).logits, targets);
      const { value, grads } = tf.valueAndGrads(f)(this.params);
      const u = adamwUpdate(this.params, grads, this.m, this.v, this.t, lr, this.options);
      return { value, gradNorm: u.gradNorm, params: u.params, m: u.m, v: u.v };
    });
    tf.dispose([this.params, this.m, this.v]);
    this.params = res.params;
    this.m = res.m;
    this.v = res.v;
    const loss = res.value.dataSync()[0]!;
    const gradNorm = res.gradNorm.dataSync()[0]!;
    tf.dispose([res.value, res.gradNorm]);
    return { loss, gradNorm };
  }

  weights(): Map<string, Float32Array> {
    return new Map(this.names.map((n, i) => [n, Float32Array.from(this.params[i]!.dataSync() as Float32Array)]));
  }

  dispose(): void {
    tf.dispose([this.params, this.m, this.v]);
  }
}

/**
 * Inference with every attention weight kept and downloaded (what the editor needs):
 * returns the logits and the [B, H, T, T] weights of every layer as Float32Arrays.
 */
export function referenceForwardWithAttention(
  cfg: RefConfig,
  weights: Weights,
  ids: Int32Array,
  B: number,
  T: number,
): { logits: Float32Array; attention: Float32Array[] } {
  let out = null as { logits: Float32Array; attention: Float32Array[] } | null;
  tf.tidy(() => {
    const { names, tensors } = toTensors(cfg, weights);
    const r = referenceForward(cfg, asMap(names, tensors), tf.tensor1d(ids, 'int32'), B, T, true);
    out = { logits: r.logits.dataSync() as Float32Array, attention: r.attention.map((a) => a.dataSync() as Float32Array) };
  });
  return out!;
}

/** Selects a tfjs backend: 'cpu' (tfjs-backend-cpu) or 'wasm' (tfjs-backend-wasm, SIMD, one thread in Node). */
export async function useTfjsBackend(name: 'cpu' | 'wasm'): Promise<void> {
  if (name === 'wasm') {
    // Imported lazily so the oracle tests (cpu) never load the wasm module.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
    wasm.setWasmPaths(dist);
  }
  tf.enableProdMode(); // no debug-time validation or console banners: the reference is timed in benchmarks
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`tfjs backend "${name}" could not be initialised`);
  await tf.ready();
}

/**
 * Logits [B·T·V] with a head hook (see RefHeadHook), on the active backend: the oracle for
 * head ablation, where the test writes the replacement itself with tf ops.
 */
export function referenceLogitsWithHeadHook(cfg: RefConfig, weights: Weights, ids: Int32Array, B: number, T: number, headHook: RefHeadHook): Float32Array {
  return tf.tidy(() => {
    const { names, tensors } = toTensors(cfg, weights);
    const r = referenceForward(cfg, asMap(names, tensors), tf.tensor1d(ids, 'int32'), B, T, false, headHook);
    return Float32Array.from(r.logits.dataSync() as Float32Array);
  });
}

export { tf };
