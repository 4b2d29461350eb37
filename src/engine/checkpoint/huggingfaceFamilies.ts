/**
 * config.json of the families added after GPT-2 and Llama: GPT-NeoX (Pythia), Qwen2 and BERT,
 * with transformers' defaults (GPTNeoXConfig, Qwen2Config, BertConfig). As in
 * huggingfaceConfig.ts, every option that changes the maths in a way the engine does not
 * implement — RoPE scaling, sliding-window attention, other activations, relative position
 * embeddings, a BERT decoder — is refused by name before any weight is read.
 */

import type { ModelConfig } from '../models/config';
import { describeValue, quote } from './errors';
import { Fields, HuggingFaceError, finish } from './huggingfaceFields';

/** transformers' activation names the engine computes exactly, and as which GELU/SiLU. */
const GELU_ERF = ['gelu'];
const GELU_TANH = ['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast'];

function geluKind(r: Fields, key: string, fallback: string): 'erf' | 'tanh' {
  const act = r.str(key, fallback);
  if (GELU_ERF.includes(act)) return 'erf';
  if (GELU_TANH.includes(act)) return 'tanh';
  throw new HuggingFaceError(
    `config.json: ${key} ${quote(act)} is not supported; expected one of ${[...GELU_ERF, ...GELU_TANH].join(', ')} (exact or tanh GELU)`,
  );
}

/**
 * The RoPE base, refusing every scaling: `rope_scaling` (transformers ≤ 4) or `rope_parameters`
 * (transformers 5, which also carries the base) must be absent, null or of type "default".
 */
export function ropeTheta(r: Fields, key: string, fallback: number): number {
  for (const field of ['rope_scaling', 'rope_parameters']) {
    const v = r.get(field);
    if (v === undefined || v === null) continue;
    const o = typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
    const type = o.rope_type ?? o.type;
    if (type !== 'default') {
      throw new HuggingFaceError(
        `config.json: ${field} ${describeValue(v)} (RoPE scaling type ${describeValue(type)}) is not supported; only plain RoPE (null or rope_type "default")`,
      );
    }
    if (field === 'rope_parameters' && o.rope_theta !== undefined) {
      if (typeof o.rope_theta !== 'number' || !Number.isFinite(o.rope_theta) || o.rope_theta < 1) {
        throw new HuggingFaceError(`config.json: rope_parameters.rope_theta is ${describeValue(o.rope_theta)}, expected a number ≥ 1`);
      }
      return o.rope_theta;
    }
  }
  return r.num(key, fallback);
}

/** GPT-NeoX / Pythia: LayerNorm with biases, partial rotary, exact GELU, (parallel) residual, untied embed_out. */
export function gptNeoxConfig(r: Fields): ModelConfig {
  const C = r.int('hidden_size', 6144);
  const H = r.int('num_attention_heads', 64);
  const hs = C / H;
  r.expect('attention_bias', true, 'query_key_value and dense with biases');
  const pct = r.has('partial_rotary_factor') ? r.num('partial_rotary_factor', 0.25) : r.num('rotary_pct', 0.25);
  // transformers: rotary_ndims = int(head_size * rotary_pct)
  const rotaryDims = Math.floor(hs * pct);
  if (!(pct <= 1) || rotaryDims < 2 || rotaryDims % 2 !== 0) {
    throw new HuggingFaceError(
      `config.json: rotary_pct ${pct} gives ${rotaryDims} rotary dimensions of the ${hs}-dimension heads; supported: an even number from 2 to ${hs}`,
    );
  }
  const theta = r.has('rope_theta') || r.has('rope_parameters') ? ropeTheta(r, 'rope_theta', 10000) : ropeTheta(r, 'rotary_emb_base', 10000);
  return finish('gpt_neox', {
    architecture: 'gpt_neox',
    vocabSize: r.int('vocab_size', 50432),
    contextLength: r.int('max_position_embeddings', 2048),
    dModel: C,
    nLayers: r.int('num_hidden_layers', 44),
    nHeads: H,
    nKvHeads: H,
    mlpHidden: r.int('intermediate_size', 24576),
    norm: 'layernorm',
    normEps: r.num('layer_norm_eps', 1e-5),
    positional: 'rope',
    ropeTheta: theta,
    ropeStyle: 'half',
    mlp: 'gelu',
    bias: true,
    tiedEmbeddings: r.bool('tie_word_embeddings', false),
    attentionMode: 'soft',
    dropout: 0,
    rotaryDims,
    parallelResidual: r.bool('use_parallel_residual', true),
    gelu: geluKind(r, 'hidden_act', 'gelu'),
    headBias: false,
  });
}

/** Qwen2: Llama with biases on q/k/v (not o), GQA, tied or untied embeddings; no sliding window. */
export function qwen2Config(r: Fields): ModelConfig {
  return llamaLayout(r, 'qwen2', { vocabSize: 151936, contextLength: 32768, mlpHidden: 22016 }, true, () => {
    if (r.bool('use_sliding_window', false)) {
      throw new HuggingFaceError(
        `config.json: use_sliding_window is true; sliding-window attention (window ${describeValue(r.get('sliding_window'))}) is not supported, only full causal attention`,
      );
    }
    const layerTypes = r.get('layer_types');
    if (Array.isArray(layerTypes) && layerTypes.some((t) => t !== 'full_attention')) {
      throw new HuggingFaceError(`config.json: layer_types has layers other than "full_attention" (sliding-window attention is not supported)`);
    }
  });
}

/**
 * The layout Llama, SmolLM2 and Qwen2 share: RMSNorm, rotate-half RoPE, SwiGLU, grouped-query
 * attention, with transformers' defaults for `defaults`. `qkvBias` is Qwen2's q/k/v biases;
 * `checks` refuses the family's own unsupported options (after the activation, before head_dim,
 * the order the messages have always come in).
 */
export function llamaLayout(
  r: Fields,
  modelType: 'llama' | 'qwen2',
  defaults: { readonly vocabSize: number; readonly contextLength: number; readonly mlpHidden: number },
  qkvBias: boolean,
  checks: () => void,
): ModelConfig {
  const C = r.int('hidden_size', 4096);
  const H = r.int('num_attention_heads', 32);
  const act = r.str('hidden_act', 'silu');
  if (act !== 'silu') throw new HuggingFaceError(`config.json: hidden_act ${quote(act)} is not supported; expected "silu" (SwiGLU)`);
  checks();
  const headDim = r.get('head_dim');
  if (headDim !== undefined && headDim !== null && headDim !== C / H) {
    throw new HuggingFaceError(`config.json: head_dim ${describeValue(headDim)} is not supported; expected hidden_size / num_attention_heads = ${C / H}`);
  }
  const kvHeads = r.get('num_key_value_heads');
  return finish(modelType, {
    architecture: modelType,
    vocabSize: r.int('vocab_size', defaults.vocabSize),
    contextLength: r.int('max_position_embeddings', defaults.contextLength),
    dModel: C,
    nLayers: r.int('num_hidden_layers', 32),
    nHeads: H,
    nKvHeads: kvHeads !== undefined && kvHeads !== null ? r.int('num_key_value_heads') : H,
    mlpHidden: r.int('intermediate_size', defaults.mlpHidden),
    norm: 'rmsnorm',
    normEps: r.num('rms_norm_eps', 1e-6),
    positional: 'rope',
    ropeTheta: ropeTheta(r, 'rope_theta', 10000),
    ropeStyle: 'half',
    mlp: 'swiglu',
    bias: false,
    tiedEmbeddings: r.bool('tie_word_embeddings', false),
    attentionMode: 'soft',
    dropout: 0,
    ...(qkvBias ? { qkvBias: true } : {}),
  });
}

/**
 * BERT: a bidirectional post-LayerNorm encoder with absolute positions and segment embeddings.
 * A *ForSequenceClassification checkpoint gets its labels (id2label, else num_labels
 * LABEL_i); BertForMaskedLM / BertForPreTraining its masked-LM head (tied to the word
 * embeddings unless tie_word_embeddings is false); every other architecture is read as the
 * encoder (the importer decides whether a pooler is stored and refuses heads it does not read).
 */
export function bertConfig(r: Fields): ModelConfig {
  const posType = r.str('position_embedding_type', 'absolute');
  if (posType !== 'absolute') {
    throw new HuggingFaceError(`config.json: position_embedding_type ${quote(posType)} is not supported; expected "absolute" (learned position embeddings)`);
  }
  r.expect('is_decoder', false, 'a bidirectional encoder');
  r.expect('add_cross_attention', false, 'an encoder without cross-attention');
  const C = r.int('hidden_size', 768);
  const classifier = r.architectures().some((a) => a.endsWith('ForSequenceClassification'));
  const labels = classifier ? labelsOf(r) : undefined;
  const mlm = !classifier && r.architectures().some((a) => a === 'BertForMaskedLM' || a === 'BertForPreTraining');
  return finish('bert', {
    architecture: 'bert',
    vocabSize: r.int('vocab_size', 30522),
    contextLength: r.int('max_position_embeddings', 512),
    dModel: C,
    nLayers: r.int('num_hidden_layers', 12),
    nHeads: r.int('num_attention_heads', 12),
    nKvHeads: r.int('num_attention_heads', 12),
    mlpHidden: r.int('intermediate_size', 3072),
    norm: 'layernorm',
    normEps: r.num('layer_norm_eps', 1e-12),
    positional: 'learned',
    ropeTheta: 10000,
    ropeStyle: 'half',
    mlp: 'gelu',
    bias: true,
    tiedEmbeddings: mlm ? r.bool('tie_word_embeddings', true) : false,
    attentionMode: 'soft',
    dropout: 0,
    causal: false,
    normPlacement: 'post',
    gelu: geluKind(r, 'hidden_act', 'gelu'),
    lmHead: mlm ? undefined : false,
    mlmHead: mlm || undefined,
    tokenTypes: r.int('type_vocab_size', 2),
    pooler: classifier ? true : undefined,
    labels,
  });
}

/** More labels than any classifier has: num_labels beyond it is a broken file, not an array to allocate. */
const MAX_LABELS = 1_000_000;

/** Label names by id: id2label when given (keys "0" … "n−1"), else LABEL_0 … for num_labels (default 2). */
function labelsOf(r: Fields): string[] {
  const raw = r.get('id2label');
  const n = r.has('num_labels') ? r.int('num_labels') : undefined;
  if (n !== undefined && n > MAX_LABELS) throw new HuggingFaceError(`config.json: num_labels is ${n}; at most ${MAX_LABELS} labels are supported`);
  if (raw === undefined || raw === null) return Array.from({ length: n ?? 2 }, (_, i) => `LABEL_${i}`);
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new HuggingFaceError(`config.json: id2label is ${describeValue(raw)}, expected an object of id → label name`);
  const entries = Object.entries(raw as Record<string, unknown>);
  const labels = new Array<string>(entries.length);
  for (const [k, v] of entries) {
    const i = Number(k);
    if (!/^\d+$/.test(k) || i >= entries.length || typeof v !== 'string') {
      throw new HuggingFaceError(
        `config.json: id2label entry ${quote(k)} → ${describeValue(v)} is not supported; expected ids 0 … ${entries.length - 1} with string names`,
      );
    }
    labels[i] = v;
  }
  if (n !== undefined && n !== labels.length) throw new HuggingFaceError(`config.json: num_labels is ${n} but id2label names ${labels.length} labels`);
  if (labels.length < 1 || [...labels.keys()].some((i) => labels[i] === undefined))
    throw new HuggingFaceError('config.json: id2label must name labels 0 … n−1 once each');
  return labels;
}
