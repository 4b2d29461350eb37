/**
 * Tensor mapping for GPT-NeoX (Pythia) and BERT checkpoints onto the engine's parameter names
 * (huggingface.ts does GPT-2, Llama and Qwen2; its TensorReader checks names, shapes, dtypes).
 *
 * GPT-NeoX (`GPTNeoXForCausalLM`, names under `gpt_neox.` with `embed_out` at the top): the
 * fused `attention.query_key_value` [3C, C] is per-head interleaved — viewed as
 * [heads, 3, head_dim, C], head h's q rows come first, then its k rows, then its v rows — and
 * is split into q, k, v here; the LM head `embed_out` has no bias.
 * BERT (`BertModel` without prefix, `Bert*For*` under `bert.`): post-LayerNorm encoder blocks;
 * the pooler and a sequence classifier when stored; the masked-LM head (`cls.predictions.*`)
 * of BertForMaskedLM / BertForPreTraining; other `cls.*` heads (next-sentence prediction) are
 * not read, which a note says.
 */

import type { ModelConfig } from '../models/config';
import { headSize } from '../models/config';
import { Tensor } from '../tensor';
import { copyValues, toTensor, valuesLike, type TensorReader } from './huggingfaceTensors';
import { HuggingFaceError } from './huggingfaceConfig';

type Params = Map<string, Tensor>;

/**
 * params[name] = the checkpoint's tensor `source`, checked against `shape`. Matrices (embeddings,
 * projections, heads) stay 16-bit when the file is F16/BF16; vectors are widened to float32.
 */
function paramSetter(r: TensorReader, params: Params): (name: string, source: string, shape: number[], meaning: string) => void {
  return (name, source, shape, meaning) => {
    params.set(name, toTensor(shape.length === 2 ? r.matrix(source, shape, meaning) : r.direct(source, shape, meaning), shape));
  };
}

export function importGptNeox(cfg: ModelConfig, r: TensorReader, params: Params, notes: string[]): void {
  const C = cfg.dModel,
    F = cfg.mlpHidden,
    H = cfg.nHeads,
    hs = headSize(cfg);
  const prefix = r.findPrefix(['gpt_neox.', ''], 'embed_in.weight', 'GPT-NeoX token embeddings (gpt_neox.embed_in.weight)');
  if (prefix === '') notes.push('a bare GPTNeoXModel (no "gpt_neox." prefix)');
  const set = paramSetter(r, params);
  set('tok_emb', `${prefix}embed_in.weight`, [cfg.vocabSize, C], 'vocab_size × hidden_size');
  for (let l = 0; l < cfg.nLayers; l++) {
    const h = `${prefix}layers.${l}.`,
      b = `blocks.${l}.`;
    set(`${b}norm1.weight`, `${h}input_layernorm.weight`, [C], 'hidden_size');
    set(`${b}norm1.bias`, `${h}input_layernorm.bias`, [C], 'hidden_size');
    const w = r.matrix(`${h}attention.query_key_value.weight`, [3 * C, C], '3·hidden_size × hidden_size, per head [q; k; v]');
    const bias = r.direct(`${h}attention.query_key_value.bias`, [3 * C], '3·hidden_size');
    ['q', 'k', 'v'].forEach((x, part) => {
      const wOut = valuesLike(w, C * C),
        bOut = new Float32Array(C);
      for (let head = 0; head < H; head++) {
        const src = (head * 3 + part) * hs; // first fused row of this head's part
        copyValues(w, src * C, hs * C, wOut, head * hs * C);
        bOut.set(bias.subarray(src, src + hs), head * hs);
      }
      params.set(`${b}attn.${x}.weight`, toTensor(wOut, [C, C]));
      params.set(`${b}attn.${x}.bias`, new Tensor(bOut, [C], true));
    });
    set(`${b}attn.o.weight`, `${h}attention.dense.weight`, [C, C], 'hidden_size × hidden_size');
    set(`${b}attn.o.bias`, `${h}attention.dense.bias`, [C], 'hidden_size');
    set(`${b}norm2.weight`, `${h}post_attention_layernorm.weight`, [C], 'hidden_size');
    set(`${b}norm2.bias`, `${h}post_attention_layernorm.bias`, [C], 'hidden_size');
    set(`${b}mlp.fc.weight`, `${h}mlp.dense_h_to_4h.weight`, [F, C], 'intermediate_size × hidden_size');
    set(`${b}mlp.fc.bias`, `${h}mlp.dense_h_to_4h.bias`, [F], 'intermediate_size');
    set(`${b}mlp.proj.weight`, `${h}mlp.dense_4h_to_h.weight`, [C, F], 'hidden_size × intermediate_size');
    set(`${b}mlp.proj.bias`, `${h}mlp.dense_4h_to_h.bias`, [C], 'hidden_size');
  }
  set('norm_f.weight', `${prefix}final_layer_norm.weight`, [C], 'hidden_size');
  set('norm_f.bias', `${prefix}final_layer_norm.bias`, [C], 'hidden_size');
  if (cfg.tiedEmbeddings) {
    r.skip('embed_out.weight');
    return;
  }
  if (!r.has('embed_out.weight')) {
    throw new HuggingFaceError(
      `missing tensor "embed_out.weight": config.json sets tie_word_embeddings false, so the GPT-NeoX LM head must be stored ` +
        `(a GPTNeoXModel without LM head cannot produce logits; expected [${cfg.vocabSize}, ${C}])`,
    );
  }
  set('lm_head.weight', 'embed_out.weight', [cfg.vocabSize, C], 'vocab_size × hidden_size');
}

/** Reads a BERT encoder (+ pooler, + classifier); returns the config with `pooler` set to what is stored. */
export function importBert(cfg: ModelConfig, r: TensorReader, params: Params, notes: string[]): ModelConfig {
  const C = cfg.dModel,
    F = cfg.mlpHidden;
  const prefix = r.findPrefix(
    ['bert.', ''],
    'embeddings.word_embeddings.weight',
    'BERT token embeddings (embeddings.word_embeddings.weight, under bert. in a BertFor… model)',
  );
  const set = paramSetter(r, params);
  // Checkpoints converted from TensorFlow name LayerNorm parameters gamma/beta; transformers renames them.
  const layerNorm = (name: string, source: string): void => {
    const old = !r.has(`${source}.weight`) && r.has(`${source}.gamma`);
    set(`${name}.weight`, `${source}.${old ? 'gamma' : 'weight'}`, [C], 'hidden_size');
    set(`${name}.bias`, `${source}.${old ? 'beta' : 'bias'}`, [C], 'hidden_size');
  };
  const linear = (name: string, source: string, out: number, inF: number, meaning: string): void => {
    set(`${name}.weight`, `${source}.weight`, [out, inF], meaning);
    set(`${name}.bias`, `${source}.bias`, [out], meaning.split(' × ')[0]!);
  };
  const e = `${prefix}embeddings.`;
  set('tok_emb', `${e}word_embeddings.weight`, [cfg.vocabSize, C], 'vocab_size × hidden_size');
  set('pos_emb', `${e}position_embeddings.weight`, [cfg.contextLength, C], 'max_position_embeddings × hidden_size');
  set('type_emb', `${e}token_type_embeddings.weight`, [cfg.tokenTypes ?? 0, C], 'type_vocab_size × hidden_size');
  layerNorm('emb_norm', `${e}LayerNorm`);
  for (let l = 0; l < cfg.nLayers; l++) {
    const h = `${prefix}encoder.layer.${l}.`,
      b = `blocks.${l}.`;
    linear(`${b}attn.q`, `${h}attention.self.query`, C, C, 'hidden_size × hidden_size');
    linear(`${b}attn.k`, `${h}attention.self.key`, C, C, 'hidden_size × hidden_size');
    linear(`${b}attn.v`, `${h}attention.self.value`, C, C, 'hidden_size × hidden_size');
    linear(`${b}attn.o`, `${h}attention.output.dense`, C, C, 'hidden_size × hidden_size');
    layerNorm(`${b}norm1`, `${h}attention.output.LayerNorm`);
    linear(`${b}mlp.fc`, `${h}intermediate.dense`, F, C, 'intermediate_size × hidden_size');
    linear(`${b}mlp.proj`, `${h}output.dense`, C, F, 'hidden_size × intermediate_size');
    layerNorm(`${b}norm2`, `${h}output.LayerNorm`);
  }
  const hasPooler = r.has(`${prefix}pooler.dense.weight`);
  if (cfg.labels && !hasPooler) {
    throw new HuggingFaceError(
      `missing tensor "${prefix}pooler.dense.weight": a sequence classifier reads the pooled [CLS] vector, so the checkpoint must store the pooler`,
    );
  }
  if (hasPooler) linear('pooler', `${prefix}pooler.dense`, C, C, 'hidden_size × hidden_size');
  if (cfg.labels) linear('classifier', 'classifier', cfg.labels.length, C, 'num_labels × hidden_size');
  if (cfg.mlmHead) {
    const p = 'cls.predictions.';
    linear('mlm.dense', `${p}transform.dense`, C, C, 'hidden_size × hidden_size');
    layerNorm('mlm.norm', `${p}transform.LayerNorm`);
    set('mlm.bias', r.has(`${p}bias`) ? `${p}bias` : `${p}decoder.bias`, [cfg.vocabSize], 'vocab_size');
    r.skip(`${p}decoder.bias`); // the same parameter as cls.predictions.bias, saved twice
    if (cfg.tiedEmbeddings) r.skip(`${p}decoder.weight`);
    else set('lm_head.weight', `${p}decoder.weight`, [cfg.vocabSize, C], 'vocab_size × hidden_size');
  }
  const heads = r.names().filter((n) => n.startsWith('cls.') && !(cfg.mlmHead && n.startsWith('cls.predictions.')));
  if (heads.length > 0) {
    for (const n of heads) r.skip(n);
    notes.push(
      `the checkpoint's ${cfg.mlmHead ? 'next-sentence' : 'pre-training / masked-LM'} head (${heads[0]}${heads.length > 1 ? ', …' : ''}) is not read${cfg.mlmHead ? '' : ': the model gives attention and hidden states, not token predictions'}`,
    );
  }
  return { ...cfg, pooler: hasPooler || undefined };
}
