/**
 * Opens a model from disk for the CLI and the worker: a native `.safetensors` checkpoint
 * (tokenizer inside), a llama2.c `.bin` with its tokenizer `.bin`, or a Hugging Face model
 * folder (config.json + model.safetensors + tokenizer). The bytes are read once and handed
 * to the engine's parsers, which treat them as untrusted.
 *
 * Which formats exist, and how they are named and described, is the table in
 * src/protocol/checkpointFormats.ts; CHECKPOINT_LOADERS below gives each its recogniser and
 * loader, and loadModel() tries them in the table's order.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkCheckpointHead } from './checkpointHead';
import { readFileBytes, readFileHead } from './readFileBytes';
import {
  CheckpointError,
  llama2cParseSteps,
  residentBytes,
  NATIVE_FORMAT,
  nativeParseSteps,
  HuggingFaceError,
  tokenizerFromJson,
  Llama2cTokenizer,
  type TrainingSnapshot,
  type Transformer,
  type Tokenizer,
} from '../engine';
import { isHfModelFolder, loadHfModelFolder } from './huggingface/modelFolder';
import { checkNotCancelled, LoadCancelledError, runParse, type ProgressCallback } from './loadProgress';
import { loadHfTokenizer } from './huggingface/tokenizerFiles';
import { describeAsLlama2cModel, describeAsLlama2cTokenizer } from './llama2cSwap';
import { CHECKPOINT_FORMATS, FILE_FORMATS, FOLDER_FORMATS, listFormats, type CheckpointFormatId } from '../protocol/checkpointFormats';

export type { LoadProgress, ProgressCallback } from './loadProgress';
export { LoadCancelledError } from './loadProgress';

export type ModelFormat = CheckpointFormatId;

export interface LoadedModel {
  readonly model: Transformer;
  readonly tokenizer: Tokenizer;
  readonly format: ModelFormat;
  readonly checkpointPath: string;
  /** Training state of a native checkpoint saved during or after training. */
  readonly training: TrainingSnapshot | null;
  /** The tokenizer's JSON form when it has one (for re-saving). */
  readonly tokenizerJson: unknown;
  /** How the files were read, for people (e.g. "gpt2 (GPT2LMHeadModel), F32"); absent for native checkpoints. */
  readonly description?: string;
  /** Things a person should know about the import (e.g. a base model without LM head). */
  readonly notes?: readonly string[];
}

export interface LoadOptions {
  /** Progress of the checkpoint's phases: reading its bytes, checking its weights, building the model (unthrottled: see loadProgress.ts). */
  readonly onProgress?: ProgressCallback;
  /** Stops the load at its next check (between pieces of the read, between phases) with a LoadCancelledError. */
  readonly signal?: AbortSignal;
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
export async function readBytes(
  file: string,
  what: string,
  maxBytes = MAX_MODEL_BYTES,
  allocate?: (n: number) => Uint8Array,
  options: LoadOptions = {},
): Promise<Uint8Array> {
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
    throw new ModelFileError(`${what} ${file} is a folder without config.json; give ${listFormats([...FOLDER_FORMATS, ...FILE_FORMATS])}`);
  }
  const progress = options.onProgress;
  try {
    return await readFileBytes(file, {
      maxBytes,
      allocate,
      signal: options.signal,
      onProgress: progress && ((done, total) => progress({ phase: 'read', done, total })),
    });
  } catch (e) {
    if (e instanceof LoadCancelledError) throw e;
    throw new ModelFileError(`cannot read ${what}: ${(e as Error).message}`);
  }
}

/** How one format of the table is recognised from a path and loaded. */
interface CheckpointLoader {
  /** Whether this format should load the path (cheap: a stat, an extension, a header peek). */
  recognises(checkpointPath: string): boolean;
  load(checkpointPath: string, tokenizerPath: string | undefined, options: LoadOptions): Promise<LoadedModel>;
}

/** One loader per format of src/protocol/checkpointFormats.ts (the Record makes the compiler ask for each). */
const CHECKPOINT_LOADERS: Record<CheckpointFormatId, CheckpointLoader> = {
  native: {
    // A .safetensors file, unless it is a Hugging Face weight file (in a folder with config.json, without our tag).
    recognises: (file) => path.extname(file).toLowerCase() === '.safetensors' && huggingFaceFolderOf(file) === null,
    load: loadNative,
  },
  llama2c: {
    recognises: (file) => path.extname(file).toLowerCase() === '.bin' && !isDirectory(file),
    load: loadLlama2c,
  },
  huggingface: {
    recognises: (file) => huggingFaceFolderOf(file) !== null,
    load: (file, tokenizerPath, options) => loadHuggingFace(file, huggingFaceFolderOf(file) ?? file, tokenizerPath, options),
  },
};

/** The format loadModel would read `checkpointPath` as (from its name and a header peek), or null when none recognises it. */
export function checkpointFormatOf(checkpointPath: string): ModelFormat | null {
  return CHECKPOINT_FORMATS.find((format) => CHECKPOINT_LOADERS[format.id].recognises(checkpointPath))?.id ?? null;
}

export async function loadModel(checkpointPath: string, tokenizerPath?: string, options: LoadOptions = {}): Promise<LoadedModel> {
  for (const format of CHECKPOINT_FORMATS) {
    const loader = CHECKPOINT_LOADERS[format.id];
    if (loader.recognises(checkpointPath)) return loader.load(checkpointPath, tokenizerPath, options);
  }
  // A missing or unreadable path, or a folder, gets its own message from the read.
  await readBytes(checkpointPath, 'checkpoint');
  throw new ModelFileError(`don't know how to read ${checkpointPath}: expected ${listFormats(CHECKPOINT_FORMATS)}`);
}

async function loadNative(checkpointPath: string, tokenizerPath: string | undefined, options: LoadOptions): Promise<LoadedModel> {
  if (tokenizerPath) {
    throw new ModelFileError(`${checkpointPath} is a native checkpoint with its own tokenizer; --tokenizer ${tokenizerPath} would not be used — leave it out`);
  }
  // A size claim beyond the file, or a file past what we read whole, is refused from its header.
  checkCheckpointHead(checkpointPath, '.safetensors');
  // Read once, straight into the memory the kernels use: aligned weights stay views of these bytes.
  const bytes = await readBytes(checkpointPath, 'checkpoint', MAX_MODEL_BYTES, residentBytes, options);
  const ckpt = await runParse(nativeParseSteps(bytes, { adopt: true }), checkpointPath, options.onProgress, options.signal);
  checkNotCancelled(options.signal, checkpointPath);
  const tokenizer = tokenizerFromJson(ckpt.tokenizer);
  checkVocab(tokenizer, ckpt.model, checkpointPath);
  return { model: ckpt.model, tokenizer, format: 'native', checkpointPath, training: ckpt.training, tokenizerJson: ckpt.tokenizer };
}

async function loadLlama2c(checkpointPath: string, tokenizerPath: string | undefined, options: LoadOptions): Promise<LoadedModel> {
  // A PyTorch .bin can be gigabytes: recognise it from its first bytes before reading it all.
  if (looksLikePytorchPickle(readHead(checkpointPath, 4))) {
    throw new ModelFileError(
      `${checkpointPath} is a PyTorch pickle/zip file; PyTorch .bin weights are not supported — use model.safetensors (a Hugging Face folder with config.json) or a llama2.c export`,
    );
  }
  let model: Transformer;
  try {
    checkCheckpointHead(checkpointPath, '.bin');
    // Read once, straight into the memory the kernels use: the weights are views of these bytes.
    const bytes = await readBytes(checkpointPath, 'checkpoint', MAX_MODEL_BYTES, residentBytes, options);
    if (looksLikePytorchPickle(bytes)) {
      throw new ModelFileError(
        `${checkpointPath} is a PyTorch pickle/zip file; PyTorch .bin weights are not supported — use model.safetensors (a Hugging Face folder with config.json) or a llama2.c export`,
      );
    }
    // Parsed before asking for the tokenizer: a tokenizer .bin given as the model fails here and is named as such.
    model = await runParse(llama2cParseSteps(bytes, { adopt: true }), checkpointPath, options.onProgress, options.signal);
    if (!tokenizerPath) throw new ModelFileError(`a llama2.c checkpoint needs its tokenizer: add --tokenizer <tokenizer.bin>`);
  } catch (e) {
    if (e instanceof LoadCancelledError) throw e;
    throw (await swappedFile(checkpointPath, 'model', e)) ?? e;
  }
  checkNotCancelled(options.signal, checkpointPath);
  const tokenizer =
    path.extname(tokenizerPath).toLowerCase() === '.bin'
      ? await loadLlama2cTokenizer(tokenizerPath, model.config.vocabSize)
      : await loadTokenizerFile(tokenizerPath);
  checkVocab(tokenizer, model, checkpointPath);
  return { model, tokenizer, format: 'llama2c', checkpointPath, training: null, tokenizerJson: null };
}

function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false; // reported by the read
  }
}

/**
 * The folder to open as a Hugging Face model, or null: a folder with config.json, its
 * config.json, or a non-native .safetensors file with config.json beside it.
 */
function huggingFaceFolderOf(file: string): string | null {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return null; // reported by the normal read
  }
  if (stat.isDirectory()) return isHfModelFolder(file) ? file : null;
  const dir = path.dirname(file);
  if (path.basename(file) === 'config.json') return dir;
  if (path.extname(file).toLowerCase() === '.safetensors' && isHfModelFolder(dir) && !looksNative(file)) return dir;
  return null;
}

/** Up to n first bytes of a regular file (empty otherwise: the full read reports why). */
function readHead(file: string, n: number): Uint8Array {
  return readFileHead(file, n);
}

/** Whether a safetensors file's header carries our format tag (read from the header only). */
function looksNative(file: string): boolean {
  try {
    const head = readFileHead(file, 8);
    if (head.length < 8) return false;
    const n = Number(Buffer.from(head.buffer, head.byteOffset, 8).readBigUInt64LE(0));
    if (n > 100_000_000) return false;
    const header = readFileHead(file, 8 + n).subarray(8);
    const meta = (JSON.parse(Buffer.from(header).toString('utf8')) as { __metadata__?: { format?: unknown } }).__metadata__;
    return meta?.format === NATIVE_FORMAT;
  } catch {
    return false;
  }
}

async function loadHuggingFace(checkpointPath: string, dir: string, tokenizerPath: string | undefined, options: LoadOptions): Promise<LoadedModel> {
  const tokenizer = tokenizerPath ? await loadTokenizerFile(tokenizerPath) : undefined;
  const hf = await loadHfModelFolder(dir, { tokenizer, onProgress: options.onProgress, signal: options.signal, maxBytes: MAX_MODEL_BYTES });
  checkHfVocab(hf.tokenizer, hf.model, dir);
  const arch = hf.hf.architectures.length ? ` (${hf.hf.architectures.join(', ')})` : '';
  return {
    model: hf.model,
    tokenizer: hf.tokenizer,
    format: 'huggingface',
    checkpointPath,
    training: null,
    tokenizerJson: null,
    description: `${hf.hf.modelType}${arch}, ${hf.dtypes.join('/')} weights in ${hf.weightFiles.length} file${hf.weightFiles.length === 1 ? '' : 's'}`,
    notes: hf.notes,
  };
}

/** Any tokenizer file this tool reads: llama2.c .bin, or a Hugging Face tokenizer.json / vocab.json + merges.txt / folder. */
export async function loadTokenizerFile(file: string): Promise<Tokenizer> {
  if (path.extname(file).toLowerCase() === '.bin') return loadLlama2cTokenizer(file);
  if (path.extname(file).toLowerCase() === '.safetensors')
    throw new ModelFileError(
      `${file} is a .safetensors file (weights), not a tokenizer: give a llama2.c model its tokenizer .bin, a Hugging Face model its tokenizer.json or folder`,
    );
  if (!fs.existsSync(file)) throw new ModelFileError(`cannot read tokenizer: ${file}: no such file`);
  return loadHfTokenizer(file);
}

/**
 * The tokenizer must not produce ids the model has no embedding for. A model vocabulary larger
 * than the tokenizer's is accepted only as padding: a multiple of 64 less than 1024 above it
 * (checkpoints round their embedding tables up, e.g. 50257 → 50304).
 */
function checkHfVocab(tokenizer: Tokenizer, model: Transformer, dir: string): void {
  const t = tokenizer.vocabSize,
    m = model.config.vocabSize;
  const padded = m > t && m % 64 === 0 && m - t < 1024;
  if (t !== m && !padded) {
    throw new HuggingFaceError(`${dir}: the tokenizer has ${t} tokens but the model's vocabulary (config.json vocab_size) is ${m}; they must match`);
  }
}

export async function loadLlama2cTokenizer(file: string, vocabSize?: number): Promise<Llama2cTokenizer> {
  const bytes = await readBytes(file, 'tokenizer', 512 * 1024 * 1024);
  try {
    return Llama2cTokenizer.fromBytes(bytes, vocabSize);
  } catch (e) {
    const model = describeAsLlama2cModel(bytes);
    if (model)
      throw new ModelFileError(
        `${file} looks like ${model}, not a tokenizer: give the model as the checkpoint and its tokenizer .bin (e.g. tok512.bin) as the tokenizer`,
      );
    throw e;
  }
}

/**
 * The message for a llama2.c tokenizer given as the model (the parser's own complaint is about a
 * header field), or null when the file is not one (or cannot be read: the original error stands).
 */
async function swappedFile(file: string, expected: 'model', cause: unknown): Promise<ModelFileError | null> {
  if (cause instanceof ModelFileError) return null;
  try {
    const tokenizer = describeAsLlama2cTokenizer(await readBytes(file, 'checkpoint', 512 * 1024 * 1024));
    return tokenizer
      ? new ModelFileError(`${file} looks like ${tokenizer}, not a ${expected}: give the model .bin as the checkpoint and this file as its tokenizer`)
      : null;
  } catch {
    return null;
  }
}

function checkVocab(tokenizer: Tokenizer, model: Transformer, file: string): void {
  if (tokenizer.vocabSize !== model.config.vocabSize) {
    throw new CheckpointError(`${file}: the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabulary is ${model.config.vocabSize}`);
  }
}

/**
 * torch.save writes a zip archive ("PK\x03\x04"), or before PyTorch 1.6 a bare pickle (0x80 then
 * the protocol 2–5); as a llama2.c header either would be an absurd dim.
 */
function looksLikePytorchPickle(bytes: Uint8Array): boolean {
  const zip = bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
  const protocol = bytes[1] ?? 0;
  const pickle = bytes[0] === 0x80 && protocol >= 2 && protocol <= 5;
  return zip || pickle;
}
