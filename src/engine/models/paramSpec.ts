/**
 * Every parameter a config implies: its name, shape and how it is initialised. The names
 * are the engine's own (checkpoints store them; importers map foreign names onto them).
 * Linear weights use PyTorch's [out, in] layout.
 */

import type { ModelConfig } from './config';
import { headSize } from './config';

export type ParamInit = 'normal' | 'residual' | 'zeros' | 'ones';

export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: ParamInit;
}

export function paramSpec(config: ModelConfig): ParamSpec[] {
  const C = config.dModel;
  const kvC = config.nKvHeads * headSize(config);
  const specs: ParamSpec[] = [];
  const add = (name: string, shape: number[], init: ParamInit): void => {
    specs.push({ name, shape, init });
  };
  const norm = (prefix: string): void => {
    if (config.norm === 'none') return;
    add(`${prefix}.weight`, [C], 'ones');
    if (config.norm === 'layernorm' && config.bias) add(`${prefix}.bias`, [C], 'zeros');
  };
  const linear = (prefix: string, out: number, inF: number, init: ParamInit, bias = config.bias): void => {
    add(`${prefix}.weight`, [out, inF], init);
    if (bias) add(`${prefix}.bias`, [out], 'zeros');
  };
  const qkvBias = config.qkvBias ?? config.bias;
  const post = config.normPlacement === 'post';

  add('tok_emb', [config.vocabSize, C], 'normal');
  if (config.positional === 'learned') add('pos_emb', [config.contextLength, C], 'normal');
  if ((config.tokenTypes ?? 0) > 0) add('type_emb', [config.tokenTypes ?? 0, C], 'normal');
  // Post-norm models (BERT) normalise the embeddings and end on a block's own norm: no final norm.
  if (post) norm('emb_norm');
  for (let l = 0; l < config.nLayers; l++) {
    const p = `blocks.${l}`;
    norm(`${p}.norm1`);
    linear(`${p}.attn.q`, C, C, 'normal', qkvBias);
    linear(`${p}.attn.k`, kvC, C, 'normal', qkvBias);
    linear(`${p}.attn.v`, kvC, C, 'normal', qkvBias);
    linear(`${p}.attn.o`, C, C, 'residual');
    if (config.mlp === 'none') continue;
    norm(`${p}.norm2`);
    if (config.mlp === 'gelu') {
      linear(`${p}.mlp.fc`, config.mlpHidden, C, 'normal');
      linear(`${p}.mlp.proj`, C, config.mlpHidden, 'residual');
    } else {
      linear(`${p}.mlp.gate`, config.mlpHidden, C, 'normal');
      linear(`${p}.mlp.up`, config.mlpHidden, C, 'normal');
      linear(`${p}.mlp.down`, C, config.mlpHidden, 'residual');
    }
  }
  if (!post) norm('norm_f');
  if (config.mlmHead) {
    linear('mlm.dense', C, C, 'normal', true);
    add('mlm.norm.weight', [C], 'ones');
    add('mlm.norm.bias', [C], 'zeros');
  }
  if (config.lmHead !== false && !config.tiedEmbeddings)
    linear('lm_head', config.vocabSize, C, 'normal', config.mlmHead ? false : (config.headBias ?? config.bias));
  if (config.mlmHead) add('mlm.bias', [config.vocabSize], 'zeros');
  if (config.pooler) linear('pooler', C, C, 'normal', true);
  if (config.labels) linear('classifier', config.labels.length, C, 'normal', true);
  return specs;
}

export function parameterCount(config: ModelConfig): number {
  let n = 0;
  for (const s of paramSpec(config)) n += s.shape.reduce((a, b) => a * b, 1);
  return n;
}
