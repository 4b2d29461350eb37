/**
 * Importer for llama2.c model files (`run.c`'s `.bin`): the legacy "v0" layout (a 7 × int32
 * header, then float32 arrays grouped by kind across layers) and the "v1" layout (magic
 * "ak42", version 1, the same 7 ints, a shared-classifier flag, padded to 256 bytes, then
 * the arrays in another order). Weights are [out, in] like ours, and llama2.c rotates
 * adjacent pairs (the 'interleaved' RoPE convention), so import is a matter of slicing.
 *
 * The file is untrusted: the header is range-checked and the expected size computed before
 * anything is read; every problem names what was found and what was expected.
 */

import type { ModelConfig } from '../models/config';
import { validateModelConfig } from '../models/config';
import { Transformer } from '../nn/transformer';
import { residentBytes } from '../kernels/resident';
import { Tensor } from '../tensor';
import { finiteCheckSteps } from './finite';
import { runParseSteps, type ParseProgress, type ParseSteps } from './parseSteps';
import { CheckpointError } from './errors';

export class Llama2cError extends CheckpointError {}

const V1_MAGIC = 0x616b3432; // "ak42" read as a little-endian uint32
const V1_HEADER_BYTES = 256;
const V0_HEADER_BYTES = 28;

export interface Llama2cHeader {
  readonly version: 0 | 1;
  readonly dim: number;
  readonly hiddenDim: number;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly vocabSize: number;
  readonly seqLen: number;
  readonly sharedClassifier: boolean;
}

export function readLlama2cHeader(bytes: Uint8Array): Llama2cHeader {
  if (bytes.length < V0_HEADER_BYTES) {
    throw new Llama2cError(`file is ${bytes.length} bytes; a llama2.c checkpoint starts with a ${V0_HEADER_BYTES}-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, true);
  let version: 0 | 1 = 0;
  let o = 0;
  let shared: boolean | null = null;
  if (magic === V1_MAGIC) {
    if (bytes.length < V1_HEADER_BYTES)
      throw new Llama2cError(`file has the v1 magic "ak42" but only ${bytes.length} bytes; the v1 header is ${V1_HEADER_BYTES}`);
    const v = view.getInt32(4, true);
    if (v !== 1) throw new Llama2cError(`llama2.c format version ${v} is not supported (only v0 "legacy" and v1 float32 files are; v2 is int8-quantised)`);
    version = 1;
    o = 8;
    shared = bytes[8 + 28] === 1;
  }
  const ints = Array.from({ length: 7 }, (_, i) => view.getInt32(o + 4 * i, true));
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, rawVocab, seqLen] = ints as [number, number, number, number, number, number, number];
  const check = (name: string, value: number, max: number): void => {
    if (value < 1 || value > max) {
      throw new Llama2cError(
        `header field ${name} is ${value}, expected 1..${max} — this does not look like a llama2.c checkpoint (header ints: ${ints.join(', ')})`,
      );
    }
  };
  check('dim', dim, 65536);
  check('hidden_dim', hiddenDim, 1 << 18);
  check('n_layers', nLayers, 1024);
  check('n_heads', nHeads, 1024);
  check('n_kv_heads', nKvHeads, 1024);
  check('|vocab_size|', Math.abs(rawVocab), 1 << 22);
  check('seq_len', seqLen, 1 << 20);
  if (dim % nHeads !== 0) throw new Llama2cError(`header: dim ${dim} is not divisible by n_heads ${nHeads}`);
  if (nHeads % nKvHeads !== 0) throw new Llama2cError(`header: n_heads ${nHeads} is not a multiple of n_kv_heads ${nKvHeads}`);
  return {
    version,
    dim,
    hiddenDim,
    nLayers,
    nHeads,
    nKvHeads,
    seqLen,
    vocabSize: Math.abs(rawVocab),
    sharedClassifier: shared ?? rawVocab > 0,
  };
}

export function llama2cConfig(h: Llama2cHeader): ModelConfig {
  return validateModelConfig({
    architecture: 'llama',
    vocabSize: h.vocabSize,
    contextLength: h.seqLen,
    dModel: h.dim,
    nLayers: h.nLayers,
    nHeads: h.nHeads,
    nKvHeads: h.nKvHeads,
    mlpHidden: h.hiddenDim,
    norm: 'rmsnorm',
    normEps: 1e-5,
    positional: 'rope',
    ropeTheta: 10000,
    ropeStyle: 'interleaved',
    mlp: 'swiglu',
    bias: false,
    tiedEmbeddings: h.sharedClassifier,
    attentionMode: 'soft',
    dropout: 0,
  });
}

export interface Llama2cParseOptions {
  /**
   * The model takes `bytes` as its storage: its weights are views of them, no copy (when they
   * are 4-byte aligned, as a read into residentBytes() or a fresh buffer is). The caller hands
   * the bytes over and must not change them. Default: the weights are copied once, into
   * memory the kernels use in place (kernels/resident.ts).
   */
  readonly adopt?: boolean;
  /** The check of the weights for non-finite values, then the model's construction. */
  readonly onProgress?: ParseProgress;
}

/** Parses a whole llama2.c `.bin` into a model. */
export function parseLlama2cCheckpoint(bytes: Uint8Array, options: Llama2cParseOptions = {}): Transformer {
  return runParseSteps(llama2cParseSteps(bytes, options), options.onProgress);
}

/** parseLlama2cCheckpoint as steps (finite.ts): the header and layout at the first step, then the check tensor by tensor, then the model. */
export function* llama2cParseSteps(bytes: Uint8Array, options: Omit<Llama2cParseOptions, 'onProgress'> = {}): ParseSteps<Transformer> {
  const h = readLlama2cHeader(bytes);
  const config = llama2cConfig(h);
  const { dim: C, hiddenDim: F, nLayers: L, vocabSize: V, seqLen } = h;
  const hs = C / h.nHeads;
  const kvC = h.nKvHeads * hs;
  type Group = { name: string; perLayer: boolean; shape: number[] };
  const g = (name: string, perLayer: boolean, shape: number[]): Group => ({ name, perLayer, shape });
  const attn = [g('attn.q.weight', true, [C, C]), g('attn.k.weight', true, [kvC, C]), g('attn.v.weight', true, [kvC, C]), g('attn.o.weight', true, [C, C])];
  const mlp = [g('mlp.gate.weight', true, [F, C]), g('mlp.down.weight', true, [C, F]), g('mlp.up.weight', true, [F, C])];
  const layout: Group[] =
    h.version === 0
      ? [
          g('tok_emb', false, [V, C]),
          g('norm1.weight', true, [C]),
          ...attn,
          g('norm2.weight', true, [C]),
          ...mlp,
          g('norm_f.weight', false, [C]),
          g('(legacy rope cos)', false, [seqLen, hs / 2]),
          g('(legacy rope sin)', false, [seqLen, hs / 2]),
        ]
      : [g('norm1.weight', true, [C]), g('norm2.weight', true, [C]), g('norm_f.weight', false, [C]), g('tok_emb', false, [V, C]), ...attn, ...mlp];
  if (!h.sharedClassifier) layout.push(g('lm_head.weight', false, [V, C]));

  const headerBytes = h.version === 0 ? V0_HEADER_BYTES : V1_HEADER_BYTES;
  let floats = 0;
  for (const grp of layout) floats += (grp.perLayer ? L : 1) * grp.shape.reduce((a, b) => a * b, 1);
  const expected = headerBytes + 4 * floats;
  if (bytes.length !== expected) {
    throw new Llama2cError(
      `file is ${bytes.length} bytes but its header (dim ${C}, hidden ${F}, ${L} layers, ${h.nHeads} heads, ${h.nKvHeads} kv heads, vocab ${V}${h.sharedClassifier ? '' : ' + classifier'}, seq_len ${seqLen}, v${h.version}) implies ${expected}` +
        (bytes.length < expected ? ' — the file is truncated' : ''),
    );
  }
  // The weights where they are (adopted, aligned), else one copy into resident memory.
  // The tensors hold the array their data is in (a resident block is reused once unreachable).
  const adopted = options.adopt === true && (bytes.byteOffset + headerBytes) % 4 === 0;
  const owner = adopted ? bytes : residentBytes(4 * floats);
  if (!adopted) owner.set(bytes.subarray(headerBytes));
  const all = new Float32Array(owner.buffer, owner.byteOffset + (adopted ? headerBytes : 0), floats);
  const params = new Map<string, Tensor>();
  let at = 0;
  for (const grp of layout) {
    const n = grp.shape.reduce((a, b) => a * b, 1);
    for (let l = 0; l < (grp.perLayer ? L : 1); l++) {
      const data = all.subarray(at, at + n);
      at += n;
      if (grp.name.startsWith('(')) continue; // llama2.c's precomputed RoPE tables: run.c ignores them too
      params.set(grp.perLayer ? `blocks.${l}.${grp.name}` : grp.name, new Tensor(data, grp.shape, true, owner));
    }
  }
  yield* finiteCheckSteps(params, 'weight', (m) => new Llama2cError(m));
  yield { phase: 'build', done: 0, total: 1 };
  const model = new Transformer(config, params);
  yield { phase: 'build', done: 1, total: 1 };
  return model;
}
