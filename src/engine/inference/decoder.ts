/**
 * The decode fast path: one token at a time through a causal model, with its key/value cache
 * and every vector allocated once, up front, where the kernels work in place (the WebAssembly
 * memory, on that backend). A step is matrix-vector products (DecodeKernels.matvec, which read
 * the weights where they lie: a checkpoint loaded into the WebAssembly memory is never copied)
 * and one attention call per layer; norms, RoPE and activations are short loops over one vector.
 * A Llama-family block with float32 weights runs as one kernel call instead (llamaBlock) when
 * nothing in it would be split across compute threads: no per-token arithmetic left to JS.
 * Nothing is allocated per token. Weights held as 16-bit values (F16/BF16 checkpoints, half.ts)
 * stay so: matvecHalf widens them as it reads them, and embedding rows are widened one at a time.
 *
 * It computes what Transformer.forward computes for the same tokens (the test compares logits
 * at every position), for the pre-norm causal families: GPT-2, Llama, GPT-NeoX (parallel
 * residual, partial rotary), Qwen2, the seed model. Others (hard attention, encoders, post-norm)
 * use forward() with a KvCache: Decoder.unsupported() says why.
 */

import { backend } from '../kernels/activeBackend';
import type { DecodeKernels, StackedMatvec } from '../kernels/backend';
import { llamaBlockArrays, type LayerWeights, type Linear } from './decoderLayer';
import { jsDecode } from '../kernels/jsDecode';
import { geluForwardJs, layerNormForwardJs, rmsNormForwardJs } from '../kernels/jsLayers';
import type { ModelConfig } from '../models/config';
import { headSize } from '../models/config';
import { KvCache, type Transformer } from '../nn/transformer';
import { erf } from '../ops/geluErf';
import { widenHalf, type HalfBits } from '../half';
import { ShapeError, type Tensor } from '../tensor';

/** Prompts up to this many tokens are prefilled one token at a time. */
const PREFILL_BY_STEPS = 16;

export class Decoder {
  readonly model: Transformer;
  private readonly cfg: ModelConfig;
  private readonly k: DecodeKernels;
  private readonly layers: LayerWeights[];
  private readonly tokEmb: Float32Array | HalfBits;
  private readonly posEmb: Float32Array | HalfBits | null;
  private readonly normF: [Float32Array, Float32Array | null] | null;
  private readonly head: Linear;
  private readonly hs: number;
  private readonly kvC: number;
  // Working vectors, [C] unless said.
  private readonly x: Float32Array;
  private readonly xb: Float32Array;
  private readonly q: Float32Array;
  /** New key and value rows [kvC], rotated then copied into the caches. */
  private readonly kRow: Float32Array;
  private readonly vRow: Float32Array;
  private readonly attOut: Float32Array;
  private readonly proj: Float32Array;
  /** [H, context]: the last step's attention weights of the layer being run. */
  private readonly att: Float32Array;
  private readonly h1: Float32Array;
  private readonly h2: Float32Array;
  private readonly logits: Float32Array;
  private readonly stat = new Float32Array(2);
  /** Where the fused block's RMSNorm writes its statistic (in the kernels' memory). */
  private readonly fusedStat: Float32Array;
  /** RoPE tables [context, rotary/2] (float32, as ops/rope.ts rounds them). */
  private readonly cos: Float32Array;
  private readonly sin: Float32Array;
  /** Positions held in the cache. */
  length = 0;

  /** Why `config` cannot use the decoder (null when it can). */
  static unsupported(config: ModelConfig): string | null {
    if (config.causal === false) return 'an encoder re-reads every token';
    if (config.lmHead === false) return 'the model has no LM head';
    if (config.normPlacement === 'post') return 'post-norm blocks';
    if (config.mlmHead) return 'a masked-LM head';
    if (config.attentionMode !== 'soft') return 'hard attention';
    if ((config.tokenTypes ?? 0) > 0) return 'token-type embeddings';
    return null;
  }

  constructor(model: Transformer, kernels: DecodeKernels = backend().decode ?? jsDecode) {
    const cfg = model.config;
    const why = Decoder.unsupported(cfg);
    if (why) throw new ShapeError(`the one-token decoder does not run this model: ${why}`);
    this.model = model;
    this.cfg = cfg;
    this.k = kernels;
    const C = cfg.dModel,
      F = cfg.mlpHidden,
      ctx = cfg.contextLength;
    this.hs = headSize(cfg);
    this.kvC = cfg.nKvHeads * this.hs;
    const alloc = (n: number): Float32Array => {
      const a = this.k.alloc(n, this);
      if (!a) throw new RangeError(`the decoder cannot get ${n} floats of kernel memory`);
      return a;
    };
    // Weights the kernels read must be where they work; a loaded checkpoint already is.
    const resident = (a: Float32Array): Float32Array => {
      if (this.k.resident(a)) return a;
      const r = alloc(a.length);
      r.set(a);
      return r;
    };
    const residentHalf = (h: HalfBits): HalfBits => {
      if (this.k.resident(h.bits)) return h;
      const r = alloc(Math.ceil(h.bits.length / 2));
      const bits = new Uint16Array(r.buffer, r.byteOffset, h.bits.length);
      bits.set(h.bits);
      return { dtype: h.dtype, bits };
    };
    const weights = (t: Tensor): { w: Float32Array | null; h: HalfBits | null } =>
      t.half ? { w: null, h: residentHalf(t.half) } : { w: resident(t.data), h: null };
    const opt = (name: string): Float32Array | null => model.params.get(name)?.data ?? null;
    const lin = (prefix: string, rows: number, cols: number): Linear => {
      const b = opt(`${prefix}.bias`);
      return { ...weights(model.p(`${prefix}.weight`)), b: b && resident(b), rows, cols };
    };
    const table = (t: Tensor): Float32Array | HalfBits => t.half ?? t.data;
    const norm = (prefix: string): [Float32Array, Float32Array | null] | null =>
      cfg.norm === 'none' ? null : [model.p(`${prefix}.weight`).data, opt(`${prefix}.bias`)];
    this.layers = [];
    for (let l = 0; l < cfg.nLayers; l++) {
      const p = `blocks.${l}`;
      const mlp =
        cfg.mlp === 'none'
          ? []
          : cfg.mlp === 'gelu'
            ? [lin(`${p}.mlp.fc`, F, C), lin(`${p}.mlp.proj`, C, F)]
            : [lin(`${p}.mlp.gate`, F, C), lin(`${p}.mlp.up`, F, C), lin(`${p}.mlp.down`, C, F)];
      this.layers.push({
        norm1: norm(`${p}.norm1`),
        q: lin(`${p}.attn.q`, C, C),
        k: lin(`${p}.attn.k`, this.kvC, C),
        v: lin(`${p}.attn.v`, this.kvC, C),
        o: lin(`${p}.attn.o`, C, C),
        norm2: cfg.mlp === 'none' ? null : norm(`${p}.norm2`),
        mlp,
        kc: alloc(ctx * this.kvC),
        vc: alloc(ctx * this.kvC),
        qkv: null,
        gateUp: null,
        fused: null,
      });
    }
    const tok = model.p('tok_emb');
    this.tokEmb = table(tok);
    this.posEmb = cfg.positional === 'learned' ? table(model.p('pos_emb')) : null;
    this.normF = norm('norm_f');
    this.head = cfg.tiedEmbeddings ? { ...weights(tok), b: null, rows: cfg.vocabSize, cols: C } : lin('lm_head', cfg.vocabSize, C);
    this.x = alloc(C);
    this.xb = alloc(C);
    this.q = alloc(C);
    this.kRow = alloc(this.kvC);
    this.vRow = alloc(this.kvC);
    this.attOut = alloc(C);
    this.proj = alloc(C);
    this.att = alloc(cfg.nHeads * ctx);
    this.h1 = alloc(Math.max(F, 1));
    this.h2 = alloc(Math.max(F, 1));
    this.logits = alloc(cfg.vocabSize);
    this.fusedStat = alloc(1);
    // Products that read the same vector run as one call: fewer calls, and parts big enough to split.
    const stack = (pairs: [Linear, Float32Array][]): StackedMatvec[] | null =>
      pairs.every(([l]) => l.w) ? pairs.map(([l, y]) => ({ w: l.w!, bias: l.b, y, rows: l.rows })) : null;
    for (const L of this.layers) {
      L.qkv = stack([
        [L.q, this.q],
        [L.k, this.kRow],
        [L.v, this.vRow],
      ]);
      if (cfg.mlp === 'swiglu')
        L.gateUp = stack([
          [L.mlp[0]!, this.h1],
          [L.mlp[1]!, this.h2],
        ]);
    }
    const rd = cfg.rotaryDims ?? this.hs;
    const half = cfg.positional === 'rope' ? rd / 2 : 0;
    // Where the kernels work: the fused block reads them.
    this.cos = alloc(Math.max(ctx * half, 1));
    this.sin = alloc(Math.max(ctx * half, 1));
    for (let t = 0; t < ctx; t++) {
      for (let m = 0; m < half; m++) {
        const angle = t * (1 / Math.pow(cfg.ropeTheta, (2 * m) / rd));
        this.cos[t * half + m] = Math.cos(angle);
        this.sin[t * half + m] = Math.sin(angle);
      }
    }
    if (this.k.llamaBlock && cfg.norm === 'rmsnorm' && cfg.mlp === 'swiglu' && cfg.positional === 'rope' && !cfg.parallelResidual) {
      for (const L of this.layers) L.fused = this.fuse(L, resident);
    }
  }

  /** The block as one kernel call, when its weights are float32 (null otherwise). */
  private fuse(L: LayerWeights, resident: (a: Float32Array) => Float32Array): ((pos: number) => boolean) | null {
    const { x, xb, q, kRow: k, vRow: v, attOut, att, h1, h2, proj, fusedStat: stat, cos, sin } = this;
    const arrays = llamaBlockArrays(this.cfg, L, resident, { x, xb, q, k, v, attOut, att, h1, h2, proj, stat, cos, sin });
    return arrays && this.k.llamaBlock!(arrays, this);
  }

  /** Forgets every position (the next step is position 0). */
  reset(): void {
    this.length = 0;
  }

  /**
   * Runs token `id` at the next position and returns the logits [V] for the token after it: a
   * view into the decoder's memory, overwritten by the next step (copy it to keep it).
   */
  step(id: number): Float32Array {
    const cfg = this.cfg;
    const C = cfg.dModel,
      F = cfg.mlpHidden,
      H = cfg.nHeads,
      pos = this.length;
    if (pos >= cfg.contextLength) throw new ShapeError(`decoder: position ${pos} is past the model's context of ${cfg.contextLength} tokens`);
    if (!(Number.isInteger(id) && id >= 0 && id < cfg.vocabSize))
      throw new RangeError(`decoder: token id ${id} is outside the vocabulary [0, ${cfg.vocabSize})`);
    const { x, xb, q, kRow, vRow, attOut, proj, att } = this;
    const k = this.k;
    row(this.tokEmb, id, C, x);
    if (this.posEmb) {
      row(this.posEmb, pos, C, proj);
      for (let c = 0; c < C; c++) x[c] = x[c]! + proj[c]!;
    }
    const scale = 1 / Math.sqrt(this.hs);
    for (const L of this.layers) {
      if (L.fused?.(pos)) continue;
      this.norm(x, L.norm1, xb);
      if (L.qkv) k.matvecStack(L.qkv, xb, C);
      else {
        this.linear(L.q, xb, q);
        this.linear(L.k, xb, kRow);
        this.linear(L.v, xb, vRow);
      }
      if (cfg.positional === 'rope') {
        this.rope(q, H, pos);
        this.rope(kRow, cfg.nKvHeads, pos);
      }
      L.kc.set(kRow, pos * this.kvC);
      L.vc.set(vRow, pos * this.kvC);
      k.attention(q, L.kc, L.vc, attOut, att, pos + 1, H, cfg.nKvHeads, this.hs, scale);
      this.linear(L.o, attOut, proj);
      if (cfg.mlp !== 'none' && cfg.parallelResidual) {
        // GPT-NeoX: both branches read the block's input.
        this.norm(x, L.norm2, xb);
        for (let c = 0; c < C; c++) x[c] = x[c]! + proj[c]!;
        this.mlp(L, xb, F, proj);
        for (let c = 0; c < C; c++) x[c] = x[c]! + proj[c]!;
        continue;
      }
      for (let c = 0; c < C; c++) x[c] = x[c]! + proj[c]!;
      if (cfg.mlp === 'none') continue;
      this.norm(x, L.norm2, xb);
      this.mlp(L, xb, F, proj);
      for (let c = 0; c < C; c++) x[c] = x[c]! + proj[c]!;
    }
    this.norm(x, this.normF, xb);
    this.linear(this.head, xb, this.logits);
    this.length = pos + 1;
    return this.logits;
  }

  /** The last step's attention weights in its last layer, [H, length] (a copy). */
  lastAttention(): Float32Array {
    return this.att.slice(0, this.cfg.nHeads * this.length);
  }

  /**
   * Runs a prompt of several tokens in one forward pass (matrix products, faster than token by
   * token), keeps its keys and values, and returns the logits after its last token (as step()).
   */
  prefill(ids: Int32Array): Float32Array {
    if (ids.length === 0) throw new ShapeError('decoder: an empty prompt');
    // A short prompt is cheaper token by token: a matrix product packs every weight first.
    if (ids.length <= PREFILL_BY_STEPS) {
      let logits = this.logits;
      for (const id of ids) logits = this.step(id);
      return logits;
    }
    const cache = new KvCache(this.cfg);
    cache.length = 0;
    // The positions already held continue: copy them in so the forward pass sees them.
    const held = this.length * this.kvC;
    this.layers.forEach((L, l) => {
      cache.k[l]!.set(L.kc.subarray(0, held));
      cache.v[l]!.set(L.vc.subarray(0, held));
    });
    cache.length = this.length;
    const r = this.model.forward(null, ids, 1, ids.length, { cache, lastLogitsOnly: true });
    const n = cache.length * this.kvC;
    this.layers.forEach((L, l) => {
      L.kc.set(cache.k[l]!.subarray(0, n));
      L.vc.set(cache.v[l]!.subarray(0, n));
    });
    this.length = cache.length;
    this.logits.set(r.logits.data);
    return this.logits;
  }

  private linear(l: Linear, x: Float32Array, y: Float32Array): void {
    if (l.h) this.k.matvecHalf(l.h, x, l.b, y, l.rows, l.cols);
    else this.k.matvec(l.w!, x, l.b, y, l.rows, l.cols);
  }

  private norm(x: Float32Array, n: [Float32Array, Float32Array | null] | null, out: Float32Array): void {
    const C = this.cfg.dModel;
    if (n === null) out.set(x);
    else if (this.cfg.norm === 'rmsnorm') rmsNormForwardJs(x, n[0], out, this.stat, 1, C, this.cfg.normEps);
    else layerNormForwardJs(x, n[0], n[1], out, this.stat, this.stat.subarray(1), 1, C, this.cfg.normEps);
  }

  /** The MLP of a block on its normalised input h [C], into out [C]. */
  private mlp(L: LayerWeights, h: Float32Array, F: number, out: Float32Array): void {
    const { h1, h2 } = this;
    if (this.cfg.mlp === 'gelu') {
      const [fc, pr] = L.mlp as [Linear, Linear];
      this.linear(fc, h, h1);
      if (this.cfg.gelu === 'erf') for (let i = 0; i < F; i++) h1[i] = 0.5 * h1[i]! * (1 + erf(h1[i]! * Math.SQRT1_2));
      else geluForwardJs(h1, h1, F);
      this.linear(pr, h1, out);
      return;
    }
    const [gate, up, down] = L.mlp as [Linear, Linear, Linear];
    if (L.gateUp) this.k.matvecStack(L.gateUp, h, this.cfg.dModel);
    else {
      this.linear(gate, h, h1);
      this.linear(up, h, h2);
    }
    for (let i = 0; i < F; i++) {
      const g = h1[i]!;
      h1[i] = (g / (1 + Math.exp(-g))) * h2[i]!;
    }
    this.linear(down, h1, out);
  }

  /** Rotates each head's pairs of `v` [heads·hs] by position `pos` (ops/rope.ts's conventions). */
  private rope(v: Float32Array, heads: number, pos: number): void {
    const hs = this.hs;
    const rd = this.cfg.rotaryDims ?? hs;
    const half = rd / 2;
    const interleaved = this.cfg.ropeStyle === 'interleaved';
    const t = pos * half;
    for (let h = 0; h < heads; h++) {
      const base = h * hs;
      for (let m = 0; m < half; m++) {
        const i0 = interleaved ? base + 2 * m : base + m;
        const i1 = interleaved ? i0 + 1 : i0 + half;
        const c = this.cos[t + m]!,
          s = this.sin[t + m]!;
        const a = v[i0]!,
          e = v[i1]!;
        v[i0] = a * c - e * s;
        v[i1] = a * s + e * c;
      }
    }
  }
}

/** Row r of a [rows, C] table into out [C], widened when the table is 16-bit. */
function row(t: Float32Array | HalfBits, r: number, C: number, out: Float32Array): void {
  if (t instanceof Float32Array) out.set(t.subarray(r * C, r * C + C));
  else widenHalf(t, out, r * C, C);
}
