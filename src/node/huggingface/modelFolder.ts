/**
 * Opens a Hugging Face model folder: `config.json` + `model.safetensors` (or the shards listed
 * in `model.safetensors.index.json`) + its tokenizer. Each weight file is read once into one
 * buffer, in pieces so progress can be reported, and handed to the engine's importer. PyTorch
 * pickles and other frameworks' weight files are refused by name.
 */

import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import {
  parseHfConfig,
  parseHuggingFaceModel,
  HuggingFaceError,
  IdsOnlyTokenizer,
  CheckpointError,
  parseSafetensors,
  type HfModel,
  type Tokenizer,
} from '../../engine';
import { FileReadError, readFileBytes } from '../readFileBytes';
import { checkNotCancelled, type ProgressCallback } from '../loadProgress';
import { folderHasHfTokenizer, loadHfTokenizer } from './tokenizerFiles';

export interface HfFolderOptions {
  /** A tokenizer to use instead of the folder's own (any format the caller supports). */
  readonly tokenizer?: Tokenizer;
  /** Reading the weight files (bytes of all of them), then building the model from their tensors (bytes converted; the check is part of it). */
  readonly onProgress?: ProgressCallback;
  /** Stops the load between pieces of the read and before the conversion (LoadCancelledError). */
  readonly signal?: AbortSignal;
  /** Largest weight file read whole. */
  readonly maxBytes?: number;
}

export interface HfFolderModel extends HfModel {
  readonly tokenizer: Tokenizer;
  readonly weightFiles: readonly string[];
}

const NOT_SUPPORTED_WEIGHTS: readonly [string, string][] = [
  ['pytorch_model.bin', 'PyTorch pickle'],
  ['pytorch_model.bin.index.json', 'sharded PyTorch pickle'],
  ['tf_model.h5', 'TensorFlow'],
  ['flax_model.msgpack', 'Flax'],
  ['model.ckpt.index', 'TensorFlow'],
];

/** A folder with a config.json (even one that is not a regular file: reading it then says what it is). */
export function isHfModelFolder(dir: string): boolean {
  return exists(path.join(dir, 'config.json'));
}

export async function loadHfModelFolder(dir: string, options: HfFolderOptions = {}): Promise<HfFolderModel> {
  const configJson = await readConfig(path.join(dir, 'config.json'));
  // An architecture or option the engine does not implement is refused before any weight is read.
  const { config } = parseHfConfig(configJson);
  const weightFiles = await weightFilesOf(dir);
  // The tokenizer first: a broken one fails before the (large) weights are read. A folder
  // without any is a model that takes token ids only.
  const tokenizer =
    options.tokenizer ?? (folderHasHfTokenizer(dir) ? await loadHfTokenizer(dir) : new IdsOnlyTokenizer(config.vocabSize, `the model folder ${dir}`));
  const sizes = weightFiles.map((f) => fs.statSync(f).size);
  const total = sizes.reduce((a, b) => a + b, 0);
  let before = 0;
  const files = [];
  for (let i = 0; i < weightFiles.length; i++) {
    const bytes = await readWithProgress(
      weightFiles[i]!,
      options.maxBytes,
      (done) => options.onProgress?.({ phase: 'read', done: before + done, total }),
      options.signal,
    );
    before += sizes[i]!;
    try {
      files.push(parseSafetensors(bytes));
    } catch (e) {
      if (e instanceof CheckpointError) throw new HuggingFaceError(`${weightFiles[i]}: ${e.message}`);
      throw e;
    }
  }
  checkNotCancelled(options.signal, dir);
  const hf = parseHuggingFaceModel(configJson, files, {
    onProgress: options.onProgress ? (done, all) => options.onProgress!({ phase: 'build', done, total: all }) : undefined,
  });
  checkNotCancelled(options.signal, dir);
  return { ...hf, tokenizer, weightFiles };
}

async function readConfig(file: string): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = await readFileBytes(file, { maxBytes: 16 * 1024 * 1024 });
  } catch (e) {
    throw new HuggingFaceError(`cannot read config.json: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new HuggingFaceError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/** model.safetensors, or the shards of model.safetensors.index.json; other frameworks' files are refused by name. */
async function weightFilesOf(dir: string): Promise<string[]> {
  const single = path.join(dir, 'model.safetensors');
  if (isFile(single)) return [single];
  if (exists(single))
    throw new HuggingFaceError(
      `${single} is ${fs.statSync(single).isDirectory() ? 'a folder' : 'not a regular file'}; the weights must be a model.safetensors file`,
    );
  const index = path.join(dir, 'model.safetensors.index.json');
  if (isFile(index)) return shardsOf(index, dir);
  for (const [name, kind] of NOT_SUPPORTED_WEIGHTS) {
    if (isFile(path.join(dir, name))) {
      throw new HuggingFaceError(
        `${path.join(dir, name)} holds ${kind} weights, which are not supported (loading a pickle can run code); ` +
          `use model.safetensors — e.g. model.save_pretrained(folder, safe_serialization=True) in transformers`,
      );
    }
  }
  const others = fs.readdirSync(dir).filter((f) => f.endsWith('.safetensors'));
  throw new HuggingFaceError(
    `the model folder ${dir} has config.json but no model.safetensors${others.length ? ` (found ${others.slice(0, 3).join(', ')}, expected model.safetensors or model.safetensors.index.json)` : ''}`,
  );
}

async function shardsOf(index: string, dir: string): Promise<string[]> {
  let json: unknown;
  try {
    json = JSON.parse(await fsp.readFile(index, 'utf8'));
  } catch (e) {
    throw new HuggingFaceError(`${index} is not valid JSON: ${(e as Error).message}`);
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new HuggingFaceError(`${index} has no "weight_map" object`);
  const names = [...new Set(Object.values(map as Record<string, unknown>))];
  return names.map((n) => {
    if (typeof n !== 'string' || n !== path.basename(n) || n === '..' || !n.endsWith('.safetensors')) {
      throw new HuggingFaceError(`${index} names the shard ${JSON.stringify(n)}, expected a .safetensors file name in the same folder`);
    }
    const file = path.join(dir, n);
    if (!isFile(file)) throw new HuggingFaceError(`shard ${n} listed in ${path.basename(index)} is missing from ${dir}`);
    return file;
  });
}

/**
 * The whole file in one fresh buffer (offset 0, so aligned F32 tensors can be viewed), read by
 * readFileBytes: in pieces, with the pages of fresh memory touched beside the read, and never
 * blocking on a file that turned into a FIFO. Its errors become HuggingFaceErrors (a cancel stays one).
 */
export async function readWithProgress(
  file: string,
  maxBytes: number | undefined,
  onProgress: (done: number) => void,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  try {
    return await readFileBytes(file, { maxBytes, onProgress: (done) => onProgress(done), signal });
  } catch (e) {
    if (e instanceof FileReadError) throw new HuggingFaceError(e.message);
    throw e;
  }
}

function exists(p: string): boolean {
  try {
    fs.statSync(p);
    return true;
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
