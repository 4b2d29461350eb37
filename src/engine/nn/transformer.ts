/**
 * The transformer every model family runs on: embeddings → blocks of
 * (norm → self-attention → residual, norm → MLP → residual) → final norm → logits.
 * Flags in ModelConfig select GPT-2 (LayerNorm, learned positions, GELU, biases),
 * Llama (RMSNorm, RoPE, SwiGLU, grouped-query attention) or the tutorial's seed model; the
 * family variants (GPT-NeoX's parallel residual and partial RoPE, Qwen2's q/k/v biases,
 * BERT's post-norm bidirectional encoder with segment embeddings) are in blockVariants.ts.
 *
 * forward() can capture, per layer, what the editor shows: attention weights, the raw
 * scores behind them, q/k/v and the residual stream. Nothing is kept unless asked for.
 */

import { Tape } from '../autograd';
import type { ModelConfig } from '../models/config';
import { headSize } from '../models/config';
import { paramSpec, type ParamSpec } from '../models/paramSpec';
import { gelu, silu } from '../ops/activation';
import { add, mul } from '../ops/add';
import { causalSelfAttention } from '../ops/attention';
import { geluErf } from '../ops/geluErf';
import { crossEntropy } from '../ops/crossEntropy';
import { dropout } from '../ops/dropout';
import { embedding } from '../ops/embedding';
import { replaceHeads, type HeadReplacement } from '../ops/headReplace';
import { lastPosition } from '../ops/lastPosition';
import { linear } from '../ops/matmul';
import { layerNorm, rmsNorm } from '../ops/norm';
import { rope } from '../ops/rope';
import { Rng } from '../random';
import { ShapeError, Tensor } from '../tensor';
import { finishEmbeddings, headless, mlmTransform, postNormBlock } from './blockVariants';

export interface CaptureOptions {
  /** Post-softmax weights per layer, [B, H, T, T] ([1, H, T, cached + T] with a cache). */
  readonly attention?: boolean;
  /** Pre-softmax scores q·k/√hs per layer, [B, H, T, T]. */
  readonly scores?: boolean;
  /** q (after RoPE), k (after RoPE) and v per layer. */
  readonly qkv?: boolean;
  /** Residual stream after the embeddings and after every block, [B, T, C] each. */
  readonly hidden?: boolean;
}

export interface ForwardOptions {
  /** Next-token targets [B·T] (−1 = ignore); when given, the loss is computed. */
  readonly targets?: Int32Array;
  readonly capture?: CaptureOptions;
  /** Rng for dropout; null or absent means evaluation mode (no dropout). */
  readonly dropoutRng?: Rng | null;
  /**
   * Key/value cache for incremental decoding (batch 1, inference only): the ids are the
   * next positions after what the cache holds, and their keys and values are appended.
   */
  readonly cache?: KvCache;
  /** Segment ids [B·T] for models with token-type embeddings (BERT); absent = all 0. */
  readonly tokenTypes?: Int32Array;
  /**
   * Analysis (head ablation): per layer, heads whose output Σα·v is replaced — by zeros or a
   * given vector — before the output projection.
   */
  readonly headReplacements?: ReadonlyMap<number, readonly HeadReplacement[]>;
  /**
   * Analysis (attribution): token embeddings [B, T, C] used instead of looking the ids up,
   * so a tape can differentiate with respect to them. Positions are still added; the ids
   * are still checked and still give B and T.
   */
  readonly tokenEmbeddings?: Tensor;
  /**
   * Analysis (ablation sweeps): run only blocks `layer`… from `residual` [B, T, C], the stream
   * before that block as capture.hidden kept it (hidden[layer]). Captures then start at that block.
   */
  readonly resumeAt?: { readonly layer: number; readonly residual: Float32Array };
  /** Analysis: logits for the last position of each sequence only, [B, 1, V] (no targets). */
  readonly lastLogitsOnly?: boolean;
}

/** Keys and values of every position seen so far, per layer, for one sequence. */
export class KvCache {
  /** Positions held. */
  length = 0;
  readonly capacity: number;
  readonly k: Float32Array[];
  readonly v: Float32Array[];
  readonly kvChannels: number;

  constructor(config: ModelConfig) {
    this.capacity = config.contextLength;
    this.kvChannels = config.nKvHeads * headSize(config);
    this.k = Array.from({ length: config.nLayers }, () => new Float32Array(this.capacity * this.kvChannels));
    this.v = Array.from({ length: config.nLayers }, () => new Float32Array(this.capacity * this.kvChannels));
  }

  /** Appends T new rows for a layer and returns all rows so far as [1, length + T, Ckv] tensors. */
  extend(layer: number, k: Tensor, v: Tensor): [Tensor, Tensor] {
    const n = k.size / this.kvChannels;
    const end = this.length + n;
    this.k[layer]!.set(k.data, this.length * this.kvChannels);
    this.v[layer]!.set(v.data, this.length * this.kvChannels);
    return [
      new Tensor(this.k[layer]!.subarray(0, end * this.kvChannels), [1, end, this.kvChannels]),
      new Tensor(this.v[layer]!.subarray(0, end * this.kvChannels), [1, end, this.kvChannels]),
    ];
  }
}

export interface LayerCapture {
  attention: Float32Array | null;
  scores: Float32Array | null;
  q: Float32Array | null;
  k: Float32Array | null;
  v: Float32Array | null;
}

export interface ForwardResult {
  /** [B, T, V] */
  readonly logits: Tensor;
  readonly loss: Tensor | null;
  /** −log p(target) per position (nats); NaN where no target. */
  readonly perTokenLoss: Float32Array | null;
  readonly correct: number;
  readonly counted: number;
  readonly layers: LayerCapture[];
  readonly hidden: Float32Array[];
}

export class Transformer {
  readonly config: ModelConfig;
  readonly spec: readonly ParamSpec[];
  readonly params: ReadonlyMap<string, Tensor>;

  constructor(config: ModelConfig, params: Map<string, Tensor>) {
    this.config = config;
    this.spec = paramSpec(config);
    for (const s of this.spec) {
      const t = params.get(s.name);
      if (!t) throw new ShapeError(`missing parameter ${s.name} [${s.shape.join(', ')}]`);
      if (t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i])) {
        throw new ShapeError(`parameter ${s.name} is [${t.shape.join(', ')}], the config needs [${s.shape.join(', ')}]`);
      }
      t.requiresGrad = true;
    }
    this.params = params;
  }

  /** A freshly initialised model (GPT-2 style: N(0, 0.02), residual projections scaled by 1/√(2L)). */
  static create(config: ModelConfig, rng: Rng): Transformer {
    const params = new Map<string, Tensor>();
    const residualStd = 0.02 / Math.sqrt(2 * config.nLayers);
    for (const s of paramSpec(config)) {
      const t = Tensor.zeros(s.shape, true);
      if (s.init === 'ones') t.data.fill(1);
      else if (s.init === 'normal' || s.init === 'residual') {
        const std = s.init === 'normal' ? 0.02 : residualStd;
        for (let i = 0; i < t.size; i++) t.data[i] = rng.normal() * std;
      }
      params.set(s.name, t);
    }
    return new Transformer(config, params);
  }

  /** Parameters in spec order (the order optimiser state and checkpoints use). */
  parameters(): Tensor[] {
    return this.spec.map((s) => this.p(s.name));
  }

  zeroGrad(): void {
    for (const t of this.params.values()) t.grad = null;
  }

  /** @internal for blockVariants.ts */
  p(name: string): Tensor {
    const t = this.params.get(name);
    if (!t) throw new Error(`no parameter named ${name}`);
    return t;
  }

  private pOpt(name: string): Tensor | null {
    return this.params.get(name) ?? null;
  }

  /** @internal for blockVariants.ts */
  norm(tape: Tape | null, x: Tensor, prefix: string): Tensor {
    switch (this.config.norm) {
      case 'layernorm':
        return layerNorm(tape, x, this.p(`${prefix}.weight`), this.pOpt(`${prefix}.bias`), this.config.normEps);
      case 'rmsnorm':
        return rmsNorm(tape, x, this.p(`${prefix}.weight`), this.config.normEps);
      case 'none':
        return x;
    }
  }

  /** @internal for blockVariants.ts */
  lin(tape: Tape | null, x: Tensor, prefix: string): Tensor {
    return linear(tape, x, this.p(`${prefix}.weight`), this.pOpt(`${prefix}.bias`));
  }

  /** ids [B·T] row-major → logits [B, T, V] (+ loss when targets are given). */
  forward(tape: Tape | null, ids: Int32Array, B: number, T: number, options: ForwardOptions = {}): ForwardResult {
    const cfg = this.config;
    if (ids.length !== B * T) throw new ShapeError(`forward: ${ids.length} ids for a batch of ${B}×${T}`);
    const cache = options.cache ?? null;
    const offset = cache ? cache.length : 0;
    if (cache && (B !== 1 || tape !== null)) throw new ShapeError('forward: a key/value cache is for batch-1 inference only');
    if (cache && cfg.causal === false) throw new ShapeError('forward: a key/value cache needs a causal model (an encoder re-reads every token)');
    if (offset + T > cfg.contextLength) {
      throw new ShapeError(`forward: ${offset + T} positions exceed the model's context of ${cfg.contextLength} tokens`);
    }
    const capture = options.capture ?? {};
    const rng = options.dropoutRng ?? null;
    const p = cfg.dropout;

    let x = embedding(tape, this.p('tok_emb'), ids, [B, T]);
    if (options.tokenEmbeddings) {
      const e = options.tokenEmbeddings;
      if (e.size !== x.size) throw new ShapeError(`forward: token embeddings [${e.shape.join(', ')}] for a batch of ${B}×${T}×${cfg.dModel}`);
      x = e.shape.length === 3 ? e : e.reshapedData([B, T, cfg.dModel]);
    }
    if (cfg.positional === 'learned') {
      const posTable = this.p('pos_emb');
      const pos = new Int32Array(T);
      for (let t = 0; t < T; t++) pos[t] = offset + t;
      x = add(tape, x, embedding(tape, posTable, pos, [T]));
    }
    x = finishEmbeddings(this, tape, x, options.tokenTypes, B, T);
    x = dropout(tape, x, p, rng);
    const resume = options.resumeAt;
    if (resume) {
      if (cache) throw new ShapeError('forward: resuming at a layer does not combine with a key/value cache');
      if (!Number.isInteger(resume.layer) || resume.layer < 0 || resume.layer >= cfg.nLayers)
        throw new ShapeError(`forward: cannot resume at layer ${resume.layer} of ${cfg.nLayers}`);
      if (resume.residual.length !== x.size)
        throw new ShapeError(`forward: a residual of ${resume.residual.length} values for a batch of ${B}×${T}×${cfg.dModel}`);
      x = new Tensor(resume.residual, x.shape);
    }
    const hidden: Float32Array[] = capture.hidden ? [x.data] : [];
    const layers: LayerCapture[] = [];

    for (let l = resume?.layer ?? 0; l < cfg.nLayers; l++) {
      const pre = `blocks.${l}`;
      // Post-norm blocks (BERT) attend over the residual stream itself and normalise after the add.
      const h = cfg.normPlacement === 'post' ? x : this.norm(tape, x, `${pre}.norm1`);
      let q = this.lin(tape, h, `${pre}.attn.q`);
      let k = this.lin(tape, h, `${pre}.attn.k`);
      const v = this.lin(tape, h, `${pre}.attn.v`);
      if (cfg.positional === 'rope') {
        const ropeOptions = { theta: cfg.ropeTheta, style: cfg.ropeStyle, positionOffset: offset, rotaryDims: cfg.rotaryDims };
        q = rope(tape, q, { ...ropeOptions, nHeads: cfg.nHeads });
        k = rope(tape, k, { ...ropeOptions, nHeads: cfg.nKvHeads });
      }
      const [kAll, vAll] = cache ? cache.extend(l, k, v) : [k, v];
      const att = causalSelfAttention(tape, q, kAll, vAll, {
        nHeads: cfg.nHeads,
        nKvHeads: cfg.nKvHeads,
        mode: cfg.attentionMode,
        keepWeights: capture.attention ?? false,
        keepScores: capture.scores ?? false,
        causal: cfg.causal !== false,
      });
      layers.push({
        attention: att.weights,
        scores: att.scores,
        q: capture.qkv ? q.data : null,
        k: capture.qkv ? k.data : null,
        v: capture.qkv ? v.data : null,
      });
      const replaced = options.headReplacements?.get(l);
      const heads = replaced ? replaceHeads(tape, att.out, cfg.nHeads, replaced) : att.out;
      const attnOut = dropout(tape, this.lin(tape, heads, `${pre}.attn.o`), p, rng);
      if (cfg.normPlacement === 'post') {
        x = postNormBlock(this, tape, x, attnOut, pre, (t) => dropout(tape, t, p, rng));
      } else if (cfg.parallelResidual && cfg.mlp !== 'none') {
        // GPT-NeoX: both branches read the block's input; h is norm1(x), the MLP gets norm2(x).
        x = add(tape, add(tape, x, attnOut), dropout(tape, this.mlp(tape, this.norm(tape, x, `${pre}.norm2`), pre), p, rng));
      } else {
        x = add(tape, x, attnOut);
        if (cfg.mlp !== 'none') x = add(tape, x, dropout(tape, this.mlp(tape, this.norm(tape, x, `${pre}.norm2`), pre), p, rng));
      }
      if (capture.hidden) hidden.push(x.data);
    }
    if (cache) cache.length += T;
    if (options.lastLogitsOnly && options.targets) throw new ShapeError('forward: lastLogitsOnly leaves no logits for the targets');
    if (cfg.lmHead === false) {
      if (options.targets) throw new ShapeError('forward: this model has no LM head, so there is no token loss to compute');
      return { logits: headless(B, options.lastLogitsOnly ? 1 : T), loss: null, perTokenLoss: null, correct: 0, counted: 0, layers, hidden };
    }
    const logits = this.readout(tape, options.lastLogitsOnly ? lastPosition(tape, x) : x);

    if (!options.targets) {
      return { logits, loss: null, perTokenLoss: null, correct: 0, counted: 0, layers, hidden };
    }
    const ce = crossEntropy(tape, logits, options.targets);
    return { logits, loss: ce.loss, perTokenLoss: ce.perToken, correct: ce.correct, counted: ce.count, layers, hidden };
  }

  /**
   * Residual stream [..., C] → logits [..., V]: the final norm (none after post-norm blocks,
   * whose stream is already normalised), BERT's masked-LM transform when present, then the
   * unembedding (also the logit lens).
   */
  readout(tape: Tape | null, x: Tensor): Tensor {
    const cfg = this.config;
    if (cfg.lmHead === false) throw new ShapeError('this model has no LM head: its residual stream cannot be read out as token logits');
    let h = cfg.normPlacement === 'post' ? x : this.norm(tape, x, 'norm_f');
    if (cfg.mlmHead) h = mlmTransform(this, tape, h);
    const logits = cfg.tiedEmbeddings ? linear(tape, h, this.p('tok_emb')) : linear(tape, h, this.p('lm_head.weight'), this.pOpt('lm_head.bias'));
    return cfg.mlmHead ? add(tape, logits, this.p('mlm.bias')) : logits;
  }

  /** The MLP of a block on its normalised input: GELU (tanh or exact erf) or SwiGLU. @internal for blockVariants.ts */
  mlp(tape: Tape | null, h: Tensor, pre: string): Tensor {
    if (this.config.mlp === 'gelu') {
      const fc = this.lin(tape, h, `${pre}.mlp.fc`);
      return this.lin(tape, this.config.gelu === 'erf' ? geluErf(tape, fc) : gelu(tape, fc), `${pre}.mlp.proj`);
    }
    const gate = silu(tape, this.lin(tape, h, `${pre}.mlp.gate`));
    return this.lin(tape, mul(tape, gate, this.lin(tape, h, `${pre}.mlp.up`)), `${pre}.mlp.down`);
  }

  get headSize(): number {
    return headSize(this.config);
  }
}
