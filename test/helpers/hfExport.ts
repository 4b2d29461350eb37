/**
 * Test helpers that write Hugging Face model folders: a llama2.c model exported into the HF
 * Llama layout (what llama2.c's `export.py --version -1` / transformers' conversion script do:
 * names, and the q/k row permutation from adjacent-pair RoPE to rotate-half), a llama2.c
 * sentencepiece tokenizer as a Llama `tokenizer.json` (merges derived from the piece scores as
 * transformers' SentencePieceExtractor does), and a safetensors writer for F32/F16/BF16.
 *
 * Written only for tests, from the format descriptions — not from the importer under test.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Transformer } from '../../src/engine/nn/transformer';
import type { Llama2cTokenizer } from '../../src/engine/tokenizer/llama2cTokenizer';

export type Dtype = 'F32' | 'F16' | 'BF16';

export interface NamedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** float32 → IEEE half bits, round to nearest even (subnormals and overflow to ±inf included). */
export function f32ToF16Bits(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

/** float32 → bfloat16 bits, round to nearest even. */
export function f32ToBf16Bits(x: number): number {
  const u = new Uint32Array(new Float32Array([x]).buffer)[0]!;
  if ((u & 0x7fffffff) > 0x7f800000) return (u >>> 16) | 0x40;
  const rounded = u + 0x7fff + ((u >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/** The value a float32 has after a round trip through the dtype (computed independently of the importer). */
export function roundTo(dtype: Dtype, x: number): number {
  if (dtype === 'F32') return x;
  if (dtype === 'BF16') return new Float32Array(new Uint32Array([f32ToBf16Bits(x) << 16]).buffer)[0]!;
  const h = f32ToF16Bits(x);
  const e = (h >> 10) & 0x1f,
    m = h & 0x3ff,
    s = h & 0x8000 ? -1 : 1;
  if (e === 0) return s * m * Math.pow(2, -24);
  if (e === 31) return m ? NaN : s * Infinity;
  return s * Math.pow(2, e - 15) * (1 + m / 1024);
}

/** A safetensors file in the given dtype (header padded to 8 bytes, tensors in the given order). */
export function writeSafetensors(tensors: readonly NamedTensor[], dtype: Dtype, metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const width = dtype === 'F32' ? 4 : 2;
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length * width] };
    offset += t.data.length * width;
  }
  let json = JSON.stringify(header);
  while ((json.length + 8) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    if (dtype === 'F32')
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at); // little-endian hosts
    else for (let i = 0; i < t.data.length; i++) view.setUint16(at + 2 * i, dtype === 'F16' ? f32ToF16Bits(t.data[i]!) : f32ToBf16Bits(t.data[i]!), true);
    at += t.data.length * width;
  }
  return out;
}

/**
 * transformers' `permute` (convert_llama_weights_to_hf.py, llama2.c export.py): rows of each
 * head go from (pair i, member p) at 2i + p to p·hs/2 + i, turning adjacent-pair RoPE weights
 * into rotate-half ones.
 */
export function permuteForRotateHalf(w: Float32Array, nHeads: number, rows: number, cols: number): Float32Array {
  const hs = rows / nHeads,
    half = hs / 2;
  const out = new Float32Array(w.length);
  for (let h = 0; h < nHeads; h++) {
    for (let i = 0; i < half; i++) {
      for (let p = 0; p < 2; p++) {
        const src = h * hs + 2 * i + p,
          dst = h * hs + p * half + i;
        out.set(w.subarray(src * cols, (src + 1) * cols), dst * cols);
      }
    }
  }
  return out;
}

/** The tensors of LlamaForCausalLM for a llama2.c model (whose RoPE is adjacent-pair). */
export function llamaTensors(model: Transformer): NamedTensor[] {
  const c = model.config;
  const p = (n: string): Float32Array => model.params.get(n)!.data;
  const hs = c.dModel / c.nHeads;
  const out: NamedTensor[] = [{ name: 'model.embed_tokens.weight', shape: [c.vocabSize, c.dModel], data: p('tok_emb') }];
  for (let l = 0; l < c.nLayers; l++) {
    const b = `blocks.${l}.`,
      h = `model.layers.${l}.`;
    out.push(
      { name: `${h}input_layernorm.weight`, shape: [c.dModel], data: p(`${b}norm1.weight`) },
      { name: `${h}self_attn.q_proj.weight`, shape: [c.dModel, c.dModel], data: permuteForRotateHalf(p(`${b}attn.q.weight`), c.nHeads, c.dModel, c.dModel) },
      {
        name: `${h}self_attn.k_proj.weight`,
        shape: [c.nKvHeads * hs, c.dModel],
        data: permuteForRotateHalf(p(`${b}attn.k.weight`), c.nKvHeads, c.nKvHeads * hs, c.dModel),
      },
      { name: `${h}self_attn.v_proj.weight`, shape: [c.nKvHeads * hs, c.dModel], data: p(`${b}attn.v.weight`) },
      { name: `${h}self_attn.o_proj.weight`, shape: [c.dModel, c.dModel], data: p(`${b}attn.o.weight`) },
      { name: `${h}post_attention_layernorm.weight`, shape: [c.dModel], data: p(`${b}norm2.weight`) },
      { name: `${h}mlp.gate_proj.weight`, shape: [c.mlpHidden, c.dModel], data: p(`${b}mlp.gate.weight`) },
      { name: `${h}mlp.up_proj.weight`, shape: [c.mlpHidden, c.dModel], data: p(`${b}mlp.up.weight`) },
      { name: `${h}mlp.down_proj.weight`, shape: [c.dModel, c.mlpHidden], data: p(`${b}mlp.down.weight`) },
    );
  }
  out.push({ name: 'model.norm.weight', shape: [c.dModel], data: p('norm_f.weight') });
  if (!c.tiedEmbeddings) out.push({ name: 'lm_head.weight', shape: [c.vocabSize, c.dModel], data: p('lm_head.weight') });
  return out;
}

export function llamaConfigJson(model: Transformer, dtype: Dtype): Record<string, unknown> {
  const c = model.config;
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_act: 'silu',
    hidden_size: c.dModel,
    intermediate_size: c.mlpHidden,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKvHeads,
    max_position_embeddings: c.contextLength,
    rms_norm_eps: c.normEps,
    rope_theta: c.ropeTheta,
    rope_scaling: null,
    tie_word_embeddings: c.tiedEmbeddings,
    vocab_size: c.vocabSize,
    attention_bias: false,
    bos_token_id: 1,
    eos_token_id: 2,
    torch_dtype: { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[dtype],
  };
}

/** A Llama-2-style tokenizer.json (Prepend ▁ + Replace normalizer, BPE with byte fallback, <s> template). */
export function llamaTokenizerJson(tok: Llama2cTokenizer): Record<string, unknown> {
  const special = ['<unk>', '<s>', '</s>'];
  const pieces: string[] = [];
  for (let id = 0; id < tok.vocabSize; id++) {
    pieces.push(id < 3 ? special[id]! : new TextDecoder().decode(tok.piece(id)).replace(/ /g, '\u2581'));
  }
  const vocab: Record<string, number> = {};
  pieces.forEach((p, id) => {
    if (!(p in vocab)) vocab[p] = id;
  });
  // SentencePieceExtractor: every split of a piece into two vocabulary pieces, by the piece's score.
  const merges: { l: string; r: string; score: number; order: number }[] = [];
  pieces.forEach((piece, id) => {
    if (id < 259) return;
    const local: { l: string; r: string }[] = [];
    const chars = [...piece];
    for (let k = 1; k < chars.length; k++) {
      const l = chars.slice(0, k).join(''),
        r = chars.slice(k).join('');
      if (vocab[l] !== undefined && vocab[r] !== undefined && vocab[l]! >= 3 && vocab[r]! >= 3) local.push({ l, r });
    }
    local.sort((a, b) => vocab[a.l]! - vocab[b.l]! || vocab[a.r]! - vocab[b.r]!);
    for (const m of local) merges.push({ ...m, score: tok.score(id), order: merges.length });
  });
  merges.sort((a, b) => b.score - a.score || a.order - b.order);
  const added = special.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: '\u2581' },
        { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' },
      ],
    },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '<s>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '<s>', type_id: 1 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '\u2581' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      vocab,
      merges: merges.map((m) => `${m.l} ${m.r}`),
    },
  };
}

/** Writes config.json, model.safetensors and (with a tokenizer) tokenizer.json + tokenizer_config.json. */
export function writeLlamaFolder(dir: string, model: Transformer, dtype: Dtype, tokenizer?: Llama2cTokenizer): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(llamaConfigJson(model, dtype), null, 2));
  fs.writeFileSync(path.join(dir, 'model.safetensors'), writeSafetensors(llamaTensors(model), dtype));
  if (tokenizer) {
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(llamaTokenizerJson(tokenizer)));
    fs.writeFileSync(
      path.join(dir, 'tokenizer_config.json'),
      JSON.stringify({ tokenizer_class: 'LlamaTokenizer', bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', add_bos_token: true, legacy: true }),
    );
  }
}
