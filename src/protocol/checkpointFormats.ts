/**
 * The checkpoint formats this tool reads, as one table of plain data: each format's name, the
 * phrase that lists it in help and error messages, its one-line description, what a person
 * picks (a file with these extensions, or a folder) and the separate tokenizer file it needs,
 * if any. Read by the "Load Checkpoint…" picker (src/host/commands.ts), the CLI's help
 * (src/cli/main.ts) and the loader's messages (src/node/loadModel.ts). The loader pairs each
 * entry with how to recognise and load it (CHECKPOINT_LOADERS there, a Record over these ids:
 * a format without a loader does not compile). Adding a format = one entry here, one loader
 * entry there, and its parser in src/engine/checkpoint.
 *
 * Why in protocol: the host may import neither the engine nor src/node, and it needs the table
 * before any model exists (the picker runs before the worker has anything to report), so the
 * descriptive half is data shared like the messages; the behaviour stays with the loader.
 * Formats, not architectures: which Hugging Face model types load is the importer's business
 * (src/engine/checkpoint/huggingface*.ts), so nothing here names a model family.
 */

export interface CheckpointFormatInfo {
  readonly id: string;
  /** What it is called in a picker's filter list: "llama2.c model". */
  readonly name: string;
  /** How it is listed in a sentence ("expected a native .safetensors checkpoint, …"). */
  readonly phrase: string;
  /** One line for a picker item. */
  readonly description: string;
  /** What a person picks: a file with one of these extensions (no dot), or a folder. */
  readonly pick: { readonly kind: 'file'; readonly extensions: readonly string[] } | { readonly kind: 'folder' };
  /** The separate tokenizer file the format needs (its own has none inside); null when it carries one. */
  readonly tokenizer: { readonly name: string; readonly extensions: readonly string[]; readonly cliPhrase: string } | null;
}

/** Every format, in the order the loader tries them (the first that recognises a path loads it) and lists them. */
export const CHECKPOINT_FORMATS = [
  {
    id: 'native',
    name: 'Attention Lens checkpoint',
    phrase: 'a native .safetensors checkpoint',
    description: 'An Attention Lens .safetensors checkpoint',
    pick: { kind: 'file', extensions: ['safetensors'] },
    tokenizer: null,
  },
  {
    id: 'llama2c',
    name: 'llama2.c model',
    phrase: 'a llama2.c .bin',
    description: 'A llama2.c .bin model, with its tokenizer .bin',
    pick: { kind: 'file', extensions: ['bin'] },
    tokenizer: { name: 'llama2.c tokenizer', extensions: ['bin'], cliPhrase: 'with --tokenizer its tokenizer .bin' },
  },
  {
    id: 'huggingface',
    name: 'Hugging Face model folder',
    phrase: 'a Hugging Face model folder (config.json + model.safetensors)',
    description: 'A folder with config.json, model.safetensors and tokenizer.json',
    pick: { kind: 'folder' },
    tokenizer: null,
  },
] as const satisfies readonly CheckpointFormatInfo[];

export type CheckpointFormatId = (typeof CHECKPOINT_FORMATS)[number]['id'];

/** The formats picked as a file, and their extensions (no dot). */
export const FILE_FORMATS: readonly CheckpointFormatInfo[] = CHECKPOINT_FORMATS.filter((f) => f.pick.kind === 'file');
/** The formats picked as a folder. */
export const FOLDER_FORMATS: readonly CheckpointFormatInfo[] = CHECKPOINT_FORMATS.filter((f) => f.pick.kind === 'folder');

export function extensionsOf(format: CheckpointFormatInfo): readonly string[] {
  return format.pick.kind === 'file' ? format.pick.extensions : [];
}

/** "a, b or c" of the formats' phrases (with their tokenizer notes when `withTokenizer`). */
export function listFormats(formats: readonly CheckpointFormatInfo[], withTokenizer = false): string {
  const phrases = formats.map((f) => (withTokenizer && f.tokenizer ? `${f.phrase} (${f.tokenizer.cliPhrase})` : f.phrase));
  const last = phrases.pop();
  if (last === undefined) return '';
  return phrases.length ? `${phrases.join(', ')} or ${last}` : last;
}

/**
 * The file format a picked file most likely is, by its extension (the first in table order),
 * or null. Only for choosing what to ask next (a tokenizer?); the loader decides for real.
 */
export function fileFormatByExtension(file: string): CheckpointFormatInfo | null {
  const dot = file.lastIndexOf('.');
  const ext = dot === -1 ? '' : file.slice(dot + 1).toLowerCase();
  return FILE_FORMATS.find((f) => extensionsOf(f).includes(ext)) ?? null;
}
