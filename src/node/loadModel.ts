/**
 * Opens a model from disk for the CLI and the worker: a native `.safetensors` checkpoint
 * (tokenizer inside), or a llama2.c `.bin` with its tokenizer `.bin`. The bytes are read
 * once and handed to the engine's parsers, which treat them as untrusted.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { readFileBytes } from './readFileBytes';
import { CheckpointError } from '../engine/checkpoint/errors';
import { parseLlama2cCheckpoint } from '../engine/checkpoint/llama2c';
import { parseCheckpoint, type TrainingSnapshot } from '../engine/checkpoint/native';
import type { Transformer } from '../engine/nn/transformer';
import { tokenizerFromJson } from '../engine/tokenizer/fromJson';
import { Llama2cTokenizer } from '../engine/tokenizer/llama2cTokenizer';
import type { Tokenizer } from '../engine/tokenizer/tokenizer';

export type ModelFormat = 'native' | 'llama2c';

export interface LoadedModel {
  readonly model: Transformer;
  readonly tokenizer: Tokenizer;
  readonly format: ModelFormat;
  readonly checkpointPath: string;
  /** Training state of a native checkpoint saved during or after training. */
  readonly training: TrainingSnapshot | null;
  /** The tokenizer's JSON form when it has one (for re-saving). */
  readonly tokenizerJson: unknown;
}

export class ModelFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFileError';
  }
}

/** Largest file we read whole; beyond it the message says so rather than exhausting memory. */
export const MAX_MODEL_BYTES = 4 * 1024 ** 3;

/** The whole file, read once into an aligned buffer; folders and oversized files are refused by name. */
export async function readBytes(file: string, what: string, maxBytes = MAX_MODEL_BYTES): Promise<Uint8Array> {
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
    throw new ModelFileError(`${what} ${file} is a folder; Hugging Face model folders are not supported by this version — give a .safetensors checkpoint or a llama2.c .bin`);
  }
  try {
    return await readFileBytes(file, { maxBytes });
  } catch (e) {
    throw new ModelFileError(`cannot read ${what}: ${(e as Error).message}`);
  }
}

export async function loadModel(checkpointPath: string, tokenizerPath?: string): Promise<LoadedModel> {
  const bytes = await readBytes(checkpointPath, 'checkpoint');
  const ext = path.extname(checkpointPath).toLowerCase();
  if (ext === '.bin') {
    if (looksLikePytorchZip(bytes)) {
      throw new ModelFileError(`${checkpointPath} is a PyTorch pickle/zip file; PyTorch .bin weights are not supported — use model.safetensors or a llama2.c export`);
    }
    if (!tokenizerPath) throw new ModelFileError(`a llama2.c checkpoint needs its tokenizer: add --tokenizer <tokenizer.bin>`);
    const model = parseLlama2cCheckpoint(bytes);
    const tokenizer = await loadLlama2cTokenizer(tokenizerPath, model.config.vocabSize);
    return { model, tokenizer, format: 'llama2c', checkpointPath, training: null, tokenizerJson: null };
  }
  if (ext !== '.safetensors') {
    throw new ModelFileError(`don't know how to read ${checkpointPath}: expected a native .safetensors checkpoint or a llama2.c .bin`);
  }
  const ckpt = parseCheckpoint(bytes);
  const tokenizer = tokenizerFromJson(ckpt.tokenizer);
  checkVocab(tokenizer, ckpt.model, checkpointPath);
  return { model: ckpt.model, tokenizer, format: 'native', checkpointPath, training: ckpt.training, tokenizerJson: ckpt.tokenizer };
}

export async function loadLlama2cTokenizer(file: string, vocabSize?: number): Promise<Llama2cTokenizer> {
  const bytes = await readBytes(file, 'tokenizer', 512 * 1024 * 1024);
  return Llama2cTokenizer.fromBytes(bytes, vocabSize);
}

function checkVocab(tokenizer: Tokenizer, model: Transformer, file: string): void {
  if (tokenizer.vocabSize !== model.config.vocabSize) {
    throw new CheckpointError(`${file}: the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabulary is ${model.config.vocabSize}`);
  }
}

/** torch.save writes a zip archive ("PK\x03\x04"); as a llama2.c header that would be an absurd dim. */
function looksLikePytorchZip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}
