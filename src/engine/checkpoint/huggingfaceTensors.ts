/**
 * Reading a Hugging Face checkpoint's tensors: looks each one up across the (possibly sharded)
 * safetensors files, checks its dtype and shape, decodes F32/F16/BF16 to float32, reports
 * progress, and tracks which tensors were used so leftovers can be refused. Shared by the
 * GPT-2/Llama importer (huggingface.ts) and the family importers (huggingfaceFamilyImport.ts).
 */

import { quote } from './errors';
import { checkFiniteTensors } from './finite';
import { HuggingFaceError } from './huggingfaceConfig';
import { f16BitsToNumber, readTensorBytes, readTensorF32, type SafetensorsFile, type TensorInfo } from './safetensors';

const SUPPORTED_DTYPES = ['F32', 'F16', 'BF16'];

/** Buffers older checkpoints save beside the weights; they carry no parameters. */
const IGNORED = [/(^|\.)attn\.(bias|masked_bias)$/, /(^|\.)rotary_emb\.inv_freq$/, /(^|\.)attention\.(bias|masked_bias)$/, /(^|\.)embeddings\.position_ids$/];

/** Looks tensors up across the files, checks dtype and shape, decodes, and tracks what was used. */
export class TensorReader {
  readonly dtypes = new Set<string>();
  private readonly where = new Map<string, SafetensorsFile>();
  private readonly used = new Set<string>();
  private readonly totalBytes: number;
  private doneBytes = 0;

  constructor(
    files: readonly SafetensorsFile[],
    private readonly onProgress?: (done: number, total: number) => void,
  ) {
    let total = 0;
    for (const file of files) {
      for (const [name, info] of file.tensors) {
        if (this.where.has(name)) throw new HuggingFaceError(`tensor ${quote(name, 200)} is stored in more than one checkpoint file`);
        this.where.set(name, file);
        total += info.dataOffsets[1] - info.dataOffsets[0];
      }
    }
    this.totalBytes = total;
  }

  has(name: string): boolean {
    return this.where.has(name);
  }

  /** Every tensor name in the checkpoint. */
  names(): string[] {
    return [...this.where.keys()];
  }

  /** The first prefix under which `probe` exists. */
  findPrefix(prefixes: readonly string[], probe: string, meaning: string): string {
    const found = prefixes.find((p) => this.where.has(p + probe));
    if (found === undefined) {
      throw new HuggingFaceError(`missing tensor "${prefixes[0]}${probe}" (${meaning}); ${this.listing()}`);
    }
    return found;
  }

  skip(name: string): void {
    if (this.where.has(name)) this.mark(name);
  }

  /** A tensor stored in our layout: a zero-copy view when F32 and aligned, else decoded once. */
  direct(name: string, shape: readonly number[], meaning: string): Float32Array {
    const { file } = this.check(name, shape, meaning);
    const data = readTensorF32(file, name).data;
    checkFiniteTensors([[name, { data }]], 'tensor', (m) => new HuggingFaceError(m));
    this.mark(name);
    return data;
  }

  /** A Conv1D weight stored [rows = in, cols = out], returned as [out, in], decoded and transposed in one pass. */
  transposed(name: string, rows: number, cols: number, meaning: string): Float32Array {
    const { file, info } = this.check(name, [rows, cols], meaning);
    const raw = readTensorBytes(file, name);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new Float32Array(rows * cols);
    const decode = elementDecoder(info, view);
    for (let i = 0; i < rows; i++) {
      for (let o = 0; o < cols; o++) out[o * rows + i] = decode(i * cols + o);
    }
    checkFiniteTensors([[name, { data: out }]], 'tensor', (m) => new HuggingFaceError(m));
    this.mark(name);
    return out;
  }

  /** Every tensor must have been used or be a known buffer: a left-over means a config/weights mismatch. */
  finish(): void {
    const left = [...this.where.keys()].filter((n) => !this.used.has(n) && !IGNORED.some((re) => re.test(n)));
    if (left.length > 0) {
      const shown = left
        .slice(0, 6)
        .map((n) => quote(n, 200))
        .join(', ');
      throw new HuggingFaceError(
        `the checkpoint has ${left.length} tensor${left.length === 1 ? '' : 's'} config.json does not account for: ${shown}${left.length > 6 ? ', …' : ''} ` +
          `(wrong config.json, more layers than num layers, or biases the config says are absent?)`,
      );
    }
    if (this.onProgress) this.onProgress(this.totalBytes, this.totalBytes);
  }

  private check(name: string, shape: readonly number[], meaning: string): { file: SafetensorsFile; info: TensorInfo } {
    const file = this.where.get(name);
    if (!file) throw new HuggingFaceError(`missing tensor "${name}" (expected shape [${shape.join(', ')}] = ${meaning}); ${this.listing()}`);
    const info = file.tensors.get(name)!;
    if (!SUPPORTED_DTYPES.includes(info.dtype)) {
      throw new HuggingFaceError(`tensor "${name}" has dtype ${info.dtype}; supported: ${SUPPORTED_DTYPES.join(', ')}`);
    }
    if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
      throw new HuggingFaceError(`tensor "${name}" has shape [${info.shape.join(', ')}], expected [${shape.join(', ')}] (${meaning}, from config.json)`);
    }
    this.dtypes.add(info.dtype);
    return { file, info };
  }

  private mark(name: string): void {
    if (this.used.has(name)) return;
    this.used.add(name);
    const info = this.where.get(name)!.tensors.get(name)!;
    this.doneBytes += info.dataOffsets[1] - info.dataOffsets[0];
    if (this.onProgress) this.onProgress(this.doneBytes, this.totalBytes);
  }

  private listing(): string {
    const names = [...this.where.keys()];
    return `the checkpoint has ${names.length} tensors${names.length ? ': ' : ''}${names
      .slice(0, 6)
      .map((n) => quote(n, 200))
      .join(', ')}${names.length > 6 ? ', …' : ''}`;
  }
}

/** Element i of a tensor's raw little-endian bytes as a number (F32, F16 or BF16). */
function elementDecoder(info: TensorInfo, view: DataView): (i: number) => number {
  switch (info.dtype) {
    case 'F32':
      return (i) => view.getFloat32(4 * i, true);
    case 'F16': {
      const table = f16Table();
      return (i) => table[view.getUint16(2 * i, true)]!;
    }
    case 'BF16': {
      const bits = new Uint32Array(1);
      const asFloat = new Float32Array(bits.buffer);
      return (i) => {
        bits[0] = view.getUint16(2 * i, true) << 16;
        return asFloat[0]!;
      };
    }
    default:
      throw new HuggingFaceError(`tensor "${info.name}" has dtype ${info.dtype}; supported: ${SUPPORTED_DTYPES.join(', ')}`);
  }
}

let f16Lookup: Float32Array | null = null;

/** Every IEEE half value by bit pattern, built once (256 KB). */
function f16Table(): Float32Array {
  if (f16Lookup === null) {
    f16Lookup = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Lookup[h] = f16BitsToNumber(h);
  }
  return f16Lookup;
}
