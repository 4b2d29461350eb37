/**
 * What the family config readers refuse, by name, and that the refusal comes before any weight
 * is read (a folder whose weights are garbage still gets the config's message).
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HuggingFaceError, parseHfConfig } from '../../../../src/engine/checkpoint/huggingface';
import { loadModel } from '../../../../src/node/loadModel';

const refuses = (raw: Record<string, unknown>, re: RegExp): void => {
  assert.throws(
    () => parseHfConfig(raw),
    (e: unknown) => e instanceof HuggingFaceError && re.test((e as Error).message),
    JSON.stringify(raw),
  );
};

describe('families: config.json refusals', () => {
  const neox = {
    model_type: 'gpt_neox',
    hidden_size: 16,
    num_attention_heads: 2,
    num_hidden_layers: 1,
    intermediate_size: 8,
    vocab_size: 11,
    max_position_embeddings: 16,
  };
  const qwen = {
    model_type: 'qwen2',
    hidden_size: 8,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    num_hidden_layers: 1,
    intermediate_size: 8,
    vocab_size: 12,
    max_position_embeddings: 16,
  };
  const bert = {
    model_type: 'bert',
    hidden_size: 8,
    num_attention_heads: 2,
    num_hidden_layers: 1,
    intermediate_size: 8,
    vocab_size: 11,
    max_position_embeddings: 16,
  };

  it('reads the defaults transformers uses', () => {
    const n = parseHfConfig(neox).config;
    assert.deepEqual([n.rotaryDims, n.parallelResidual, n.gelu, n.tiedEmbeddings, n.ropeTheta], [2, true, 'erf', false, 10000]);
    const q = parseHfConfig(qwen).config;
    assert.deepEqual([q.qkvBias, q.nKvHeads, q.causal], [true, 1, undefined]);
    const b = parseHfConfig({ ...bert, architectures: ['BertForSequenceClassification'] }).config;
    assert.deepEqual([b.causal, b.normPlacement, b.tokenTypes, b.labels, b.normEps], [false, 'post', 2, ['LABEL_0', 'LABEL_1'], 1e-12]);
    assert.equal(parseHfConfig({ ...qwen, rope_parameters: { rope_type: 'default', rope_theta: 1e6 } }).config.ropeTheta, 1e6);
  });

  it('published configs (pythia-160m, Qwen2.5-0.5B, bert-base-uncased, a MiniLM cross-encoder) as transformers reads them', () => {
    const pythia = parseHfConfig({
      architectures: ['GPTNeoXForCausalLM'],
      bos_token_id: 0,
      eos_token_id: 0,
      hidden_act: 'gelu',
      hidden_size: 768,
      initializer_range: 0.02,
      intermediate_size: 3072,
      layer_norm_eps: 1e-5,
      max_position_embeddings: 2048,
      model_type: 'gpt_neox',
      num_attention_heads: 12,
      num_hidden_layers: 12,
      rotary_emb_base: 10000,
      rotary_pct: 0.25,
      tie_word_embeddings: false,
      torch_dtype: 'float16',
      transformers_version: '4.24.0',
      use_cache: true,
      use_parallel_residual: true,
      vocab_size: 50304,
    }).config;
    assert.deepEqual([pythia.rotaryDims, pythia.parallelResidual, pythia.gelu, pythia.contextLength], [16, true, 'erf', 2048]);
    const qwen25 = parseHfConfig({
      architectures: ['Qwen2ForCausalLM'],
      attention_dropout: 0,
      bos_token_id: 151643,
      eos_token_id: 151643,
      hidden_act: 'silu',
      hidden_size: 896,
      initializer_range: 0.02,
      intermediate_size: 4864,
      max_position_embeddings: 32768,
      max_window_layers: 24,
      model_type: 'qwen2',
      num_attention_heads: 14,
      num_hidden_layers: 24,
      num_key_value_heads: 2,
      rms_norm_eps: 1e-6,
      rope_theta: 1000000,
      sliding_window: 32768,
      tie_word_embeddings: true,
      torch_dtype: 'bfloat16',
      use_cache: true,
      use_sliding_window: false,
      vocab_size: 151936,
    }).config;
    assert.deepEqual([qwen25.nKvHeads, qwen25.ropeTheta, qwen25.tiedEmbeddings, qwen25.qkvBias], [2, 1e6, true, true]);
    const bertBase = parseHfConfig({
      architectures: ['BertForMaskedLM'],
      attention_probs_dropout_prob: 0.1,
      gradient_checkpointing: false,
      hidden_act: 'gelu',
      hidden_dropout_prob: 0.1,
      hidden_size: 768,
      initializer_range: 0.02,
      intermediate_size: 3072,
      layer_norm_eps: 1e-12,
      max_position_embeddings: 512,
      model_type: 'bert',
      num_attention_heads: 12,
      num_hidden_layers: 12,
      pad_token_id: 0,
      position_embedding_type: 'absolute',
      type_vocab_size: 2,
      use_cache: true,
      vocab_size: 30522,
    }).config;
    assert.deepEqual([bertBase.mlmHead, bertBase.tiedEmbeddings, bertBase.causal, bertBase.lmHead], [true, true, false, undefined]);
    const reranker = parseHfConfig({
      architectures: ['BertForSequenceClassification'],
      hidden_size: 384,
      intermediate_size: 1536,
      model_type: 'bert',
      num_attention_heads: 12,
      num_hidden_layers: 6,
      id2label: { '0': 'LABEL_0' },
      label2id: { LABEL_0: 0 },
      vocab_size: 30522,
    }).config;
    assert.deepEqual([reranker.labels, reranker.pooler, reranker.lmHead], [['LABEL_0'], true, false]);
  });

  it('RoPE scaling, sliding windows, activations, relative positions, decoders, id2label gaps', () => {
    refuses({ ...qwen, rope_scaling: { type: 'yarn', factor: 4 } }, /rope_scaling .*"yarn".* not supported/);
    refuses({ ...neox, rope_scaling: { type: 'linear', factor: 2 } }, /rope_scaling .*"linear".* not supported/);
    refuses(
      { ...qwen, use_sliding_window: true, sliding_window: 4096 },
      /use_sliding_window is true; sliding-window attention \(window number 4096\) is not supported/,
    );
    refuses({ ...neox, hidden_act: 'relu' }, /hidden_act "relu" is not supported; expected one of gelu, gelu_new/);
    refuses({ ...bert, hidden_act: 'quick_gelu' }, /hidden_act "quick_gelu" is not supported/);
    refuses({ ...bert, position_embedding_type: 'relative_key_query' }, /position_embedding_type "relative_key_query" is not supported; expected "absolute"/);
    refuses({ ...bert, is_decoder: true }, /is_decoder is true, which is not supported/);
    refuses({ ...neox, rotary_pct: 0.1 }, /rotary_pct 0\.1 gives 0 rotary dimensions/);
    refuses({ ...bert, architectures: ['BertForSequenceClassification'], id2label: { '0': 'a', '2': 'c' } }, /id2label entry "2"/);
    refuses(
      { ...bert, architectures: ['BertForSequenceClassification'], num_labels: 3, id2label: { '0': 'a', '1': 'b' } },
      /num_labels is 3 but id2label names 2 labels/,
    );
  });

  it('an unimplemented option is named before the weights are read (garbage weights, config error first)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-families-'));
    try {
      fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...qwen, rope_scaling: { rope_type: 'dynamic', factor: 2 } }));
      fs.writeFileSync(path.join(dir, 'model.safetensors'), Buffer.from('not a safetensors file at all'));
      await assert.rejects(loadModel(dir), /rope_scaling .*"dynamic".* not supported/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
