/**
 * The parts of the forward pass only some families have, kept out of transformer.ts so its
 * loop stays the pre-norm decoder everyone reads first:
 * - BERT's embeddings: + segment (token-type) embedding, then a LayerNorm (post-norm models);
 * - BERT's post-norm block: x = norm1(x + attn(x)); x = norm2(x + mlp(x));
 * - BERT's masked-LM head: dense → GELU → LayerNorm before the output projection, + a bias;
 * - the empty logits of a bare encoder (no LM head).
 * GPT-NeoX's parallel residual is one line in the loop itself; partial RoPE is in ops/rope.ts.
 */

import type { Tape } from '../autograd';
import { gelu } from '../ops/activation';
import { add } from '../ops/add';
import { embedding } from '../ops/embedding';
import { geluErf } from '../ops/geluErf';
import { linear } from '../ops/matmul';
import { layerNorm } from '../ops/norm';
import { ShapeError, Tensor } from '../tensor';
import type { Transformer } from './transformer';

/** After token (+ position) embeddings: add segment embeddings, and normalise when the model is post-norm. */
export function finishEmbeddings(model: Transformer, tape: Tape | null, x: Tensor, tokenTypes: Int32Array | undefined, B: number, T: number): Tensor {
  const cfg = model.config;
  const types = cfg.tokenTypes ?? 0;
  if (tokenTypes !== undefined && types === 0) throw new ShapeError('forward: token types were given but this model has no token-type embeddings');
  if (types > 0) {
    const ids = tokenTypes ?? new Int32Array(B * T);
    if (ids.length !== B * T) throw new ShapeError(`forward: ${ids.length} token types for ${B}×${T} tokens`);
    for (const t of ids) if (!(t >= 0 && t < types)) throw new ShapeError(`forward: token type ${t} is outside the model's ${types} types`);
    x = add(tape, x, embedding(tape, model.p('type_emb'), ids, [B, T]));
  }
  return cfg.normPlacement === 'post' ? model.norm(tape, x, 'emb_norm') : x;
}

/** One post-norm block after its attention output (dropout already applied to it). */
export function postNormBlock(model: Transformer, tape: Tape | null, x: Tensor, attnOut: Tensor, pre: string, drop: (t: Tensor) => Tensor): Tensor {
  x = model.norm(tape, add(tape, x, attnOut), `${pre}.norm1`);
  if (model.config.mlp === 'none') return x;
  return model.norm(tape, add(tape, x, drop(model.mlp(tape, x, pre))), `${pre}.norm2`);
}

/** BERT's prediction-head transform, LayerNorm(GELU(dense(x))), applied before the tied output projection. */
export function mlmTransform(model: Transformer, tape: Tape | null, x: Tensor): Tensor {
  const h = linear(tape, x, model.p('mlm.dense.weight'), model.p('mlm.dense.bias'));
  const act = model.config.gelu === 'erf' ? geluErf(tape, h) : gelu(tape, h);
  return layerNorm(tape, act, model.p('mlm.norm.weight'), model.p('mlm.norm.bias'), model.config.normEps);
}

/** The logits of a model without an LM head: [B, T, 0]. */
export function headless(B: number, T: number): Tensor {
  return new Tensor(new Float32Array(0), [B, T, 0]);
}
