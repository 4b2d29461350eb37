/**
 * Importer for Hugging Face `transformers` checkpoints: `config.json` + `model.safetensors`
 * (or its shards) of the GPT-2 and Llama families (Qwen2 is Llama with q/k/v biases), mapped
 * onto the engine's parameter names; GPT-NeoX and BERT are in huggingfaceFamilyImport.ts.
 *
 * GPT-2 (`GPT2LMHeadModel`, names under `transformer.`; a bare `GPT2Model` has no prefix):
 * Conv1D weights are stored [in, out] and are transposed to our [out, in]; the fused
 * `attn.c_attn` holds q | k | v along its output axis and is split after the transpose.
 * Llama (`LlamaForCausalLM`, names under `model.`): Linear weights are already [out, in] and
 * HF's q/k are permuted for rotate-half RoPE, so the model runs with ropeStyle 'half'.
 *
 * Memory: F32 tensors stored [out, in] at a 4-byte-aligned offset become zero-copy views of the
 * file bytes; every other tensor (Conv1D transposes, F16/BF16) is decoded in one pass straight
 * into its final layout, so no tensor is copied more than once.
 *
 * The files are untrusted: tensors are looked up by name (a missing one, a wrong shape, an
 * unsupported dtype or a left-over unknown tensor is a HuggingFaceError naming what was found
 * and what was expected); mask buffers older checkpoints carry are skipped.
 */

import type { ModelConfig } from '../models/config';
import { headSize } from '../models/config';
import { Transformer } from '../nn/transformer';
import { Tensor } from '../tensor';
import { parseHfConfig, HuggingFaceError, type HfConfig } from './huggingfaceConfig';
import { importBert, importGptNeox } from './huggingfaceFamilyImport';
import { sliceValues, TensorReader, toTensor, type Values } from './huggingfaceTensors';
import type { SafetensorsFile } from './safetensors';

export { HuggingFaceError, parseHfConfig, SUPPORTED_MODEL_TYPES, type HfConfig, type HfModelType } from './huggingfaceConfig';

export interface HfImportOptions {
  /** Called after each tensor with the tensor bytes imported so far and in total. */
  readonly onProgress?: (doneBytes: number, totalBytes: number) => void;
}

export interface HfModel {
  readonly model: Transformer;
  readonly hf: HfConfig;
  /** The dtypes of the imported tensors, e.g. ['F32'] or ['BF16']. */
  readonly dtypes: readonly string[];
  /** Things a person should know about how the checkpoint was read (e.g. a bare base model). */
  readonly notes: readonly string[];
}

/**
 * Builds a model from a parsed config.json and the safetensors file(s) holding its weights.
 * With several files (a sharded checkpoint) each tensor may live in any of them, once.
 */
export function parseHuggingFaceModel(configJson: unknown, files: SafetensorsFile | readonly SafetensorsFile[], options: HfImportOptions = {}): HfModel {
  const hf = parseHfConfig(configJson);
  const reader = new TensorReader(Array.isArray(files) ? files : [files as SafetensorsFile], options.onProgress);
  const params = new Map<string, Tensor>();
  const notes: string[] = [];
  let config = hf.config;
  if (hf.modelType === 'gpt2') importGpt2(config, reader, params, notes);
  else if (hf.modelType === 'gpt_neox') importGptNeox(config, reader, params, notes);
  // BERT's importer settles what the config cannot say: whether a pooler is stored.
  else if (hf.modelType === 'bert') config = importBert(config, reader, params, notes);
  else importLlama(config, reader, params, notes);
  reader.finish();
  return { model: new Transformer(config, params), hf: { ...hf, config }, dtypes: [...reader.dtypes].sort(), notes };
}

function importGpt2(cfg: ModelConfig, r: TensorReader, params: Map<string, Tensor>, notes: string[]): void {
  const C = cfg.dModel,
    F = cfg.mlpHidden;
  const prefix = r.findPrefix(
    ['transformer.', ''],
    'wte.weight',
    'GPT-2 token embeddings (transformer.wte.weight in a GPT2LMHeadModel, wte.weight in a bare GPT2Model)',
  );
  if (prefix === '')
    notes.push('a bare GPT2Model (no "transformer." prefix, no LM head): logits use the tied token embeddings, as GPT2LMHeadModel.from_pretrained would');
  const set = (name: string, data: Values, shape: number[]): void => {
    params.set(name, toTensor(data, shape));
  };
  set('tok_emb', r.matrix(`${prefix}wte.weight`, [cfg.vocabSize, C], 'vocab_size × n_embd'), [cfg.vocabSize, C]);
  set('pos_emb', r.matrix(`${prefix}wpe.weight`, [cfg.contextLength, C], 'n_positions × n_embd'), [cfg.contextLength, C]);
  for (let l = 0; l < cfg.nLayers; l++) {
    const h = `${prefix}h.${l}.`,
      b = `blocks.${l}.`;
    set(`${b}norm1.weight`, r.direct(`${h}ln_1.weight`, [C], 'n_embd'), [C]);
    set(`${b}norm1.bias`, r.direct(`${h}ln_1.bias`, [C], 'n_embd'), [C]);
    // c_attn is Conv1D [C, 3C]; transposed it is [3C, C] = q rows, then k rows, then v rows.
    const qkv = r.transposedMatrix(`${h}attn.c_attn.weight`, C, 3 * C, 'Conv1D [in, out] = n_embd × 3·n_embd');
    const qkvBias = r.direct(`${h}attn.c_attn.bias`, [3 * C], '3·n_embd');
    ['q', 'k', 'v'].forEach((x, i) => {
      set(`${b}attn.${x}.weight`, sliceValues(qkv, i * C * C, (i + 1) * C * C), [C, C]);
      set(`${b}attn.${x}.bias`, qkvBias.subarray(i * C, (i + 1) * C), [C]);
    });
    set(`${b}attn.o.weight`, r.transposedMatrix(`${h}attn.c_proj.weight`, C, C, 'Conv1D [in, out] = n_embd × n_embd'), [C, C]);
    set(`${b}attn.o.bias`, r.direct(`${h}attn.c_proj.bias`, [C], 'n_embd'), [C]);
    set(`${b}norm2.weight`, r.direct(`${h}ln_2.weight`, [C], 'n_embd'), [C]);
    set(`${b}norm2.bias`, r.direct(`${h}ln_2.bias`, [C], 'n_embd'), [C]);
    set(`${b}mlp.fc.weight`, r.transposedMatrix(`${h}mlp.c_fc.weight`, C, F, 'Conv1D [in, out] = n_embd × n_inner'), [F, C]);
    set(`${b}mlp.fc.bias`, r.direct(`${h}mlp.c_fc.bias`, [F], 'n_inner'), [F]);
    set(`${b}mlp.proj.weight`, r.transposedMatrix(`${h}mlp.c_proj.weight`, F, C, 'Conv1D [in, out] = n_inner × n_embd'), [C, F]);
    set(`${b}mlp.proj.bias`, r.direct(`${h}mlp.c_proj.bias`, [C], 'n_embd'), [C]);
  }
  set('norm_f.weight', r.direct(`${prefix}ln_f.weight`, [C], 'n_embd'), [C]);
  set('norm_f.bias', r.direct(`${prefix}ln_f.bias`, [C], 'n_embd'), [C]);
  head(cfg, r, params, 'lm_head.weight', 'GPT-2');
}

function importLlama(cfg: ModelConfig, r: TensorReader, params: Map<string, Tensor>, notes: string[]): void {
  const C = cfg.dModel,
    F = cfg.mlpHidden,
    kvC = cfg.nKvHeads * headSize(cfg);
  const prefix = r.findPrefix(['model.', ''], 'embed_tokens.weight', 'Llama token embeddings (model.embed_tokens.weight)');
  if (prefix === '') notes.push('a bare LlamaModel (no "model." prefix)');
  const set = (name: string, source: string, shape: number[], meaning: string): void => {
    params.set(name, toTensor(shape.length === 2 ? r.matrix(source, shape, meaning) : r.direct(source, shape, meaning), shape));
  };
  set('tok_emb', `${prefix}embed_tokens.weight`, [cfg.vocabSize, C], 'vocab_size × hidden_size');
  for (let l = 0; l < cfg.nLayers; l++) {
    const h = `${prefix}layers.${l}.`,
      b = `blocks.${l}.`;
    set(`${b}norm1.weight`, `${h}input_layernorm.weight`, [C], 'hidden_size');
    set(`${b}attn.q.weight`, `${h}self_attn.q_proj.weight`, [C, C], 'hidden_size × hidden_size');
    if (cfg.qkvBias) {
      // Qwen2: biased q/k/v, unbiased o.
      set(`${b}attn.q.bias`, `${h}self_attn.q_proj.bias`, [C], 'hidden_size');
      set(`${b}attn.k.bias`, `${h}self_attn.k_proj.bias`, [kvC], 'num_key_value_heads·head_dim');
      set(`${b}attn.v.bias`, `${h}self_attn.v_proj.bias`, [kvC], 'num_key_value_heads·head_dim');
    }
    set(`${b}attn.k.weight`, `${h}self_attn.k_proj.weight`, [kvC, C], 'num_key_value_heads·head_dim × hidden_size');
    set(`${b}attn.v.weight`, `${h}self_attn.v_proj.weight`, [kvC, C], 'num_key_value_heads·head_dim × hidden_size');
    set(`${b}attn.o.weight`, `${h}self_attn.o_proj.weight`, [C, C], 'hidden_size × hidden_size');
    set(`${b}norm2.weight`, `${h}post_attention_layernorm.weight`, [C], 'hidden_size');
    set(`${b}mlp.gate.weight`, `${h}mlp.gate_proj.weight`, [F, C], 'intermediate_size × hidden_size');
    set(`${b}mlp.up.weight`, `${h}mlp.up_proj.weight`, [F, C], 'intermediate_size × hidden_size');
    set(`${b}mlp.down.weight`, `${h}mlp.down_proj.weight`, [C, F], 'hidden_size × intermediate_size');
  }
  set('norm_f.weight', `${prefix}norm.weight`, [C], 'hidden_size');
  head(cfg, r, params, 'lm_head.weight', cfg.qkvBias ? 'Qwen2' : 'Llama');
}

/** The LM head: tied to the embeddings (a stored copy is ignored, as transformers does) or its own tensor. */
export function head(cfg: ModelConfig, r: TensorReader, params: Map<string, Tensor>, name: string, family: string): void {
  if (cfg.tiedEmbeddings) {
    r.skip(name);
    return;
  }
  if (!r.has(name)) {
    throw new HuggingFaceError(
      `missing tensor "${name}": config.json sets tie_word_embeddings false, so the ${family} LM head must be stored ` +
        `(a base model without LM head cannot produce logits; expected [${cfg.vocabSize}, ${cfg.dModel}])`,
    );
  }
  params.set('lm_head.weight', toTensor(r.matrix(name, [cfg.vocabSize, cfg.dModel], 'vocab_size × hidden size'), [cfg.vocabSize, cfg.dModel]));
}
