/**
 * Reads a Hugging Face `config.json` (GPT-2, Llama, and through huggingfaceFamilies.ts GPT-NeoX,
 * Qwen2 and BERT) into the engine's ModelConfig. The file is untrusted: every field is
 * type-checked, defaults are those of `transformers` (GPT2Config, LlamaConfig, …), and every option that would change the maths in a way the engine
 * does not implement (other activations, RoPE scaling, biased Llama projections, cross-attention,
 * …) is refused by name instead of being silently ignored.
 */

import type { ModelConfig } from '../models/config';
import { describeValue, quote } from './errors';
import { bertConfig, gptNeoxConfig, llamaLayout, qwen2Config } from './huggingfaceFamilies';
import { Fields, finish, HuggingFaceError, type HfModelType } from './huggingfaceFields';

export { HuggingFaceError, type HfModelType } from './huggingfaceFields';

export const SUPPORTED_MODEL_TYPES: readonly HfModelType[] = ['gpt2', 'llama', 'gpt_neox', 'qwen2', 'bert'];

export interface HfConfig {
  readonly modelType: HfModelType;
  readonly config: ModelConfig;
  /** `architectures` from config.json (e.g. ["GPT2LMHeadModel"]); empty when absent. */
  readonly architectures: readonly string[];
  /** Token ids config.json names (informational: the tokenizer files are authoritative). */
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
}

/** GELU variants that are exactly the tanh approximation the engine implements. */
const TANH_GELUS = ['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast'];

export function parseHfConfig(raw: unknown): HfConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new HuggingFaceError(`config.json is ${describeValue(raw)}, expected a JSON object`);
  }
  const r = new Fields(raw as Record<string, unknown>);
  const modelType = r.get('model_type');
  if (modelType === undefined) {
    throw new HuggingFaceError(`config.json has no "model_type"; supported: ${SUPPORTED_MODEL_TYPES.map((t) => JSON.stringify(t)).join(', ')}`);
  }
  if (typeof modelType !== 'string' || !(SUPPORTED_MODEL_TYPES as readonly string[]).includes(modelType)) {
    throw new HuggingFaceError(
      `config.json: model_type ${describeValue(modelType)}${r.architecturesNote()} is not supported; supported: ${SUPPORTED_MODEL_TYPES.map((t) => JSON.stringify(t)).join(', ')} (GPT-2, Llama, GPT-NeoX/Pythia, Qwen2 and BERT families)`,
    );
  }
  const config = configOf(modelType as HfModelType, r);
  return {
    modelType: modelType as HfModelType,
    config,
    architectures: r.architectures(),
    bosTokenId: r.optionalTokenId('bos_token_id'),
    eosTokenId: r.optionalTokenId('eos_token_id'),
  };
}

function configOf(modelType: HfModelType, r: Fields): ModelConfig {
  switch (modelType) {
    case 'gpt2':
      return gpt2Config(r);
    case 'llama':
      return llamaConfig(r);
    case 'gpt_neox':
      return gptNeoxConfig(r);
    case 'qwen2':
      return qwen2Config(r);
    case 'bert':
      return bertConfig(r);
  }
}

function gpt2Config(r: Fields): ModelConfig {
  const C = r.int('n_embd', 768);
  const nInner = r.get('n_inner');
  const activation = r.str('activation_function', 'gelu_new');
  if (!TANH_GELUS.includes(activation)) {
    throw new HuggingFaceError(
      `config.json: activation_function ${quote(activation)} is not supported; expected one of ${TANH_GELUS.join(', ')} (the tanh-approximated GELU)`,
    );
  }
  r.expect('scale_attn_weights', true, 'attention scores divided by √head_dim');
  r.expect('scale_attn_by_inverse_layer_idx', false, 'no extra 1/(layer+1) attention scaling');
  r.expect('add_cross_attention', false, 'a decoder-only model');
  const context = r.has('n_positions') ? r.int('n_positions') : r.int('n_ctx', 1024);
  return finish('gpt2', {
    architecture: 'gpt',
    vocabSize: r.int('vocab_size', 50257),
    contextLength: context,
    dModel: C,
    nLayers: r.int('n_layer', 12),
    nHeads: r.int('n_head', 12),
    nKvHeads: r.int('n_head', 12),
    mlpHidden: nInner === null || nInner === undefined ? 4 * C : r.int('n_inner'),
    norm: 'layernorm',
    normEps: r.num('layer_norm_epsilon', 1e-5),
    positional: 'learned',
    ropeTheta: 10000,
    ropeStyle: 'half',
    mlp: 'gelu',
    bias: true,
    tiedEmbeddings: r.bool('tie_word_embeddings', true),
    attentionMode: 'soft',
    dropout: 0,
  });
}

function llamaConfig(r: Fields): ModelConfig {
  return llamaLayout(r, 'llama', { vocabSize: 32000, contextLength: 2048, mlpHidden: 11008 }, false, () => {
    r.expect('attention_bias', false, 'q/k/v/o projections without bias');
    r.expect('mlp_bias', false, 'gate/up/down projections without bias');
  });
}
