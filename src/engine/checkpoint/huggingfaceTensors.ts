/**
 * Reading a Hugging Face checkpoint's tensors: looks each one up across the (possibly sharded)
 * safetensors files, checks its dtype and shape, decodes F32/F16/BF16 to float32, reports
 * progress, and tracks which tensors were used so leftovers can be refused. Shared by the
 * Matrices stored F16 or BF16 stay 16-bit (Values below, a Tensor with `half`, ../half.ts), in
 * the kernels' resident memory, so a half-precision checkpoint takes half the memory; vectors
 * (biases, norms: a small share of the bytes) are widened to float32 at load.
 * GPT-2/Llama importer (huggingface.ts) and the family importers (huggingfaceFamilyImport.ts).
 */

import { quote } from './errors';
import { checkFiniteTensors } from './finite';
import { HuggingFaceError } from './huggingfaceConfig';
import { LITTLE_ENDIAN, readTensorBytes, readTensorF32, type SafetensorsFile, type TensorInfo } from './safetensors';
import { firstNonFiniteHalf, widenHalf, type HalfBits } from '../half';
import { residentBytes } from '../kernels/resident';
import { Tensor } from '../tensor';

/** A matrix as read: float32, or its 16-bit values (F16/BF16 files). */
export type Values = Float32Array | HalfBits;

/** A parameter tensor over `v` (16-bit values stay 16-bit). */
export function toTensor(v: Values, shape: readonly number[]): Tensor {
  return v instanceof Float32Array ? new Tensor(v, shape, true) : Tensor.fromHalf(v, shape, true);
}

/** Elements [from, to) of `v`, same kind, no copy. */
export function sliceValues(v: Values, from: number, to: number): Values {
  return v instanceof Float32Array ? v.subarray(from, to) : { dtype: v.dtype, bits: v.bits.subarray(from, to), owner: v.owner };
}

/** Resident 16-bit storage for n values (where the kernels read them in place). */
function halfStorage(n: number): { bits: Uint16Array; owner: object } {
  const block = residentBytes(2 * n);
  return { bits: new Uint16Array(block.buffer, block.byteOffset, n), owner: block };
}

/** A new array of n values of the same kind as `like`, to gather rows of it into. */
export function valuesLike(like: Values, n: number): Values {
  return like instanceof Float32Array ? new Float32Array(n) : { dtype: like.dtype, ...halfStorage(n) };
}

/** dst[at …] = src[from, from + n), for two Values of the same kind. */
export function copyValues(src: Values, from: number, n: number, dst: Values, at: number): void {
  if (src instanceof Float32Array) (dst as Float32Array).set(src.subarray(from, from + n), at);
  else (dst as HalfBits).bits.set(src.bits.subarray(from, from + n), at);
}

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

  /** A matrix stored in our layout: its 16-bit values when F16/BF16 (copied into resident memory), else as direct(). */
  matrix(name: string, shape: readonly number[], meaning: string): Values {
    const { file, info } = this.check(name, shape, meaning);
    if (info.dtype === 'F32') return this.direct(name, shape, meaning);
    const raw = readTensorBytes(file, name);
    const n = raw.length / 2;
    const { bits, owner } = halfStorage(n);
    if (LITTLE_ENDIAN) bits.set(raw.byteOffset % 2 === 0 ? new Uint16Array(raw.buffer, raw.byteOffset, n) : new Uint16Array(raw.slice().buffer));
    else {
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(2 * i, true);
    }
    return this.halfChecked(name, { dtype: info.dtype === 'F16' ? 'f16' : 'bf16', bits, owner });
  }

  /** transposed() keeping F16/BF16 values 16-bit (transposed as 16-bit values). */
  transposedMatrix(name: string, rows: number, cols: number, meaning: string): Values {
    const { file, info } = this.check(name, [rows, cols], meaning);
    if (info.dtype === 'F32') return this.transposed(name, rows, cols, meaning);
    const raw = readTensorBytes(file, name);
    const n = rows * cols;
    const { bits, owner } = halfStorage(n);
    if (LITTLE_ENDIAN)
      transposeInto(raw.byteOffset % 2 === 0 ? new Uint16Array(raw.buffer, raw.byteOffset, n) : new Uint16Array(raw.slice().buffer), rows, cols, bits);
    else {
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < rows; i++) {
        for (let o = 0; o < cols; o++) bits[o * rows + i] = view.getUint16(2 * (i * cols + o), true);
      }
    }
    return this.halfChecked(name, { dtype: info.dtype === 'F16' ? 'f16' : 'bf16', bits, owner });
  }

  /** Refuses non-finite 16-bit values (as checkFiniteTensors does float32 ones), then marks the tensor used. */
  private halfChecked(name: string, h: HalfBits): HalfBits {
    const i = firstNonFiniteHalf(h);
    if (i >= 0) {
      const at = new Float32Array(1);
      widenHalf(h, at, i, 1);
      throw new HuggingFaceError(
        `tensor "${name}" holds a non-finite value (the first, at index ${i}, is ${at[0]}); the file is corrupt or was saved from a diverged run`,
      );
    }
    this.mark(name);
    return h;
  }

  /** A Conv1D weight stored [rows = in, cols = out], returned as [out, in]: decoded (a view when F32), then transposed. */
  transposed(name: string, rows: number, cols: number, meaning: string): Float32Array {
    const { file } = this.check(name, [rows, cols], meaning);
    const out = new Float32Array(rows * cols);
    transposeInto(readTensorF32(file, name).data, rows, cols, out);
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
/**
 * out[o·rows + i] = src[i·cols + o]: a [rows, cols] matrix transposed, a 32 × 32 tile at a time
 * (element by element, every store of a row lands on another cache line: GPT-2 small's
 * Conv1D weights took 1.8 s to transpose that way).
 */
function transposeInto<A extends Float32Array | Uint16Array>(src: A, rows: number, cols: number, out: A): void {
  const TILE = 32;
  for (let i0 = 0; i0 < rows; i0 += TILE) {
    const i1 = Math.min(rows, i0 + TILE);
    for (let o0 = 0; o0 < cols; o0 += TILE) {
      const o1 = Math.min(cols, o0 + TILE);
      for (let i = i0; i < i1; i++) {
        const s = i * cols;
        for (let o = o0; o < o1; o++) out[o * rows + i] = src[s + o]!;
      }
    }
  }
}
