/**
 * Reader for the Hugging Face safetensors format, the container of native checkpoints and of
 * imported HF models (the writer is safetensorsWriter.ts):
 *
 *   u64 little-endian N | N bytes of UTF-8 JSON header | raw little-endian tensor bytes
 *
 * The header maps tensor names to `{dtype, shape, data_offsets: [begin, end]}` (offsets relative
 * to the start of the data section) plus an optional `"__metadata__": {string: string}`.
 *
 * Files are untrusted input: every size the file claims is checked against the bytes actually
 * present before anything is decoded or allocated, and every problem is a SafetensorsError that
 * names what was found and what was expected.
 */

import { SafetensorsError, describeValue as describe, quote } from './errors';

export { SafetensorsError } from './errors';

/** Same cap as the HF library: a larger header is refused before it is decoded or parsed. */
export const MAX_HEADER_BYTES = 100_000_000;

const DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
} as const;

export type SafetensorsDtype = keyof typeof DTYPE_BYTES;

export interface TensorInfo {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** [begin, end) byte offsets relative to the start of the data section. */
  readonly dataOffsets: readonly [number, number];
}

/**
 * A validated file. Only the header has been decoded; tensor data stays in `bytes` until a
 * tensor is asked for, so listing a large checkpoint costs nothing but the header.
 */
export interface SafetensorsFile {
  readonly bytes: Uint8Array;
  /** Index in `bytes` of the first byte of the data section (8 + header length). */
  readonly dataStart: number;
  /** `__metadata__` entries (empty when the file has none). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensor infos in header order. A Map, because names are untrusted (`__proto__` is a fine name). */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
}

export interface TensorF32 {
  readonly shape: number[];
  readonly data: Float32Array;
}

export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
export const METADATA_KEY = '__metadata__';
/** Names (tensor names, metadata keys) come from the file: messages show at most this much of one. */
const NAME_CHARS = 200;

// ---------------------------------------------------------------------------------------------
// Reading

/** Parses and validates the header of a safetensors file; tensor data is read on demand. */
export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8) {
    throw new SafetensorsError(`file is ${bytes.length} bytes long; a safetensors file starts with an 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // BigInt so a claim like 2^60 is reported exactly and never turned into an allocation.
  const claimed = view.getBigUint64(0, true);
  if (claimed > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(`header length ${claimed} bytes exceeds the ${MAX_HEADER_BYTES}-byte limit (corrupt or not a safetensors file)`);
  }
  const headerLength = Number(claimed);
  if (headerLength > bytes.length - 8) {
    throw new SafetensorsError(`header length ${headerLength} bytes, but only ${bytes.length - 8} bytes follow the length prefix (file truncated?)`);
  }
  const header = decodeHeaderJson(bytes.subarray(8, 8 + headerLength));
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;

  let metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  const tensors = new Map<string, TensorInfo>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA_KEY) metadata = parseMetadata(raw);
    else tensors.set(name, parseTensorInfo(name, raw, dataLength));
  }
  checkNoOverlap(tensors);
  return { bytes, dataStart, metadata, tensors };
}

function decodeHeaderJson(headerBytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    // ignoreBOM keeps a BOM in the text, so JSON.parse rejects it as HF does.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError(`header (${headerBytes.length} bytes) is not valid UTF-8`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(`header is not valid JSON (${(e as Error).message}); starts with ${JSON.stringify(text.slice(0, 40))}`);
  }
  if (!isPlainObject(parsed)) {
    throw new SafetensorsError(`header is ${describe(parsed)}, expected a JSON object`);
  }
  return parsed;
}

function parseMetadata(raw: unknown): Record<string, string> {
  if (!isPlainObject(raw)) {
    throw new SafetensorsError(`__metadata__ is ${describe(raw)}, expected an object of strings`);
  }
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') {
      throw new SafetensorsError(`__metadata__[${quote(key, NAME_CHARS)}] is ${describe(value)}, expected a string`);
    }
  }
  // fromEntries defines own properties, so a "__proto__" key stays data; the null prototype
  // makes `metadata.constructor` undefined unless the file really has that key.
  return Object.setPrototypeOf(Object.fromEntries(Object.entries(raw)), null) as Record<string, string>;
}

function parseTensorInfo(name: string, raw: unknown, dataLength: number): TensorInfo {
  const where = `tensor ${quote(name, NAME_CHARS)}`;
  if (!isPlainObject(raw)) {
    throw new SafetensorsError(`${where} is ${describe(raw)}, expected {dtype, shape, data_offsets}`);
  }
  const { dtype, shape, data_offsets: offsets } = raw;
  if (typeof dtype !== 'string' || !Object.prototype.hasOwnProperty.call(DTYPE_BYTES, dtype)) {
    throw new SafetensorsError(`${where} has dtype ${quote(dtype)}, expected one of ${Object.keys(DTYPE_BYTES).join(', ')}`);
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegativeSafeInteger)) {
    throw new SafetensorsError(`${where} has shape ${quote(shape)}, expected an array of non-negative integers`);
  }
  if (!isOffsetPair(offsets) || offsets[0] > offsets[1]) {
    throw new SafetensorsError(`${where} has data_offsets ${quote(offsets)}, expected [begin, end] with 0 <= begin <= end`);
  }
  const [begin, end] = offsets;
  if (end > dataLength) {
    throw new SafetensorsError(`${where} has data_offsets [${begin}, ${end}] past the end of the ${dataLength}-byte data section (file truncated?)`);
  }
  const typedDtype = dtype as SafetensorsDtype;
  const expected = byteSize(shape as number[], DTYPE_BYTES[typedDtype]);
  if (expected !== end - begin) {
    throw new SafetensorsError(
      `${where} of dtype ${dtype} and shape ${quote(shape)} needs ${expected ?? 'more than 2^53'} bytes, ` +
        `but data_offsets [${begin}, ${end}] span ${end - begin}`,
    );
  }
  return { name, dtype: typedDtype, shape: [...(shape as number[])], dataOffsets: [begin, end] };
}

/** Bytes needed for a shape, or null when that is beyond exact integer arithmetic. */
function byteSize(shape: readonly number[], elementBytes: number): number | null {
  if (shape.includes(0)) return 0; // checked first: [2^40, 2^40, 0] is a valid empty tensor
  let size = elementBytes;
  for (const dim of shape) {
    size *= dim;
    if (size > Number.MAX_SAFE_INTEGER) return null;
  }
  return size;
}

function checkNoOverlap(tensors: ReadonlyMap<string, TensorInfo>): void {
  // Empty tensors occupy no bytes, so they cannot overlap anything.
  const ranges = [...tensors.values()].filter((t) => t.dataOffsets[1] > t.dataOffsets[0]).sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0]);
  for (let i = 1; i < ranges.length; i++) {
    const prev = ranges[i - 1]!;
    const cur = ranges[i]!;
    if (cur.dataOffsets[0] < prev.dataOffsets[1]) {
      throw new SafetensorsError(
        `tensors ${quote(prev.name, NAME_CHARS)} [${prev.dataOffsets.join(', ')}] and ` +
          `${quote(cur.name, NAME_CHARS)} [${cur.dataOffsets.join(', ')}] overlap`,
      );
    }
  }
}

function tensorInfo(file: SafetensorsFile, name: string): TensorInfo {
  const info = file.tensors.get(name);
  if (info === undefined) {
    const names = [...file.tensors.keys()];
    const shown = names
      .slice(0, 8)
      .map((n) => quote(n, NAME_CHARS))
      .join(', ');
    throw new SafetensorsError(`no tensor named ${quote(name, NAME_CHARS)}; the file has ${names.length}: ${shown}${names.length > 8 ? ', …' : ''}`);
  }
  return info;
}

/** The raw little-endian bytes of one tensor (a view into `file.bytes`, not a copy). */
export function readTensorBytes(file: SafetensorsFile, name: string): Uint8Array {
  const [begin, end] = tensorInfo(file, name).dataOffsets;
  return file.bytes.subarray(file.dataStart + begin, file.dataStart + end);
}

/**
 * One tensor as float32. F32 data that is 4-byte aligned in memory is returned as a zero-copy
 * view of `file.bytes` (writing to it writes to the file bytes; copy it to own it). Other
 * dtypes are converted: F16, BF16 and F64 by value (F64 rounds), integers and BOOL by value
 * (64-bit integers beyond 2^24 lose precision as any float32 does). F8 dtypes are refused.
 */
export function readTensorF32(file: SafetensorsFile, name: string): TensorF32 {
  const info = tensorInfo(file, name);
  const raw = readTensorBytes(file, name);
  const n = raw.length / DTYPE_BYTES[info.dtype];
  const shape = [...info.shape];
  if (info.dtype === 'F32' && LITTLE_ENDIAN && raw.byteOffset % 4 === 0) {
    return { shape, data: new Float32Array(raw.buffer, raw.byteOffset, n) };
  }
  return { shape, data: convertToF32(info, raw, n) };
}

function convertToF32(info: TensorInfo, raw: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (info.dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = v.getFloat32(4 * i, true);
      break;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = v.getFloat64(8 * i, true);
      break;
    case 'F16': {
      const table = f16Table();
      for (let i = 0; i < n; i++) out[i] = table[v.getUint16(2 * i, true)]!;
      break;
    }
    case 'BF16': {
      // bf16 is the top half of a float32: shifting the bits keeps NaN payloads and signed zeros.
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = v.getUint16(2 * i, true) << 16;
      break;
    }
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = raw[i] !== 0 ? 1 : 0;
      break;
    case 'U8':
      for (let i = 0; i < n; i++) out[i] = raw[i]!;
      break;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = v.getInt8(i);
      break;
    case 'U16':
      for (let i = 0; i < n; i++) out[i] = v.getUint16(2 * i, true);
      break;
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = v.getInt16(2 * i, true);
      break;
    case 'U32':
      for (let i = 0; i < n; i++) out[i] = v.getUint32(4 * i, true);
      break;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = v.getInt32(4 * i, true);
      break;
    case 'U64':
      for (let i = 0; i < n; i++) out[i] = Number(v.getBigUint64(8 * i, true));
      break;
    case 'I64':
      for (let i = 0; i < n; i++) out[i] = Number(v.getBigInt64(8 * i, true));
      break;
    case 'F8_E4M3':
    case 'F8_E5M2':
      throw new SafetensorsError(
        `tensor ${quote(info.name, NAME_CHARS)} has dtype ${info.dtype}, which cannot be read as float32 ` +
          `(supported: F32, F16, BF16, F64, BOOL and integer dtypes)`,
      );
  }
  return out;
}

/** Value of an IEEE 754 half-precision bit pattern (exported for tests and importers). */
export function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

let f16Lookup: Float32Array | null = null;

/** All 65536 half values, built once: a table lookup beats bit twiddling per element. */
function f16Table(): Float32Array {
  if (f16Lookup === null) {
    f16Lookup = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Lookup[h] = f16BitsToNumber(h);
  }
  return f16Lookup;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** [begin, end]: two non-negative safe integers. */
function isOffsetPair(x: unknown): x is [number, number] {
  return Array.isArray(x) && x.length === 2 && x.every(isNonNegativeSafeInteger);
}

export function isNonNegativeSafeInteger(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}
