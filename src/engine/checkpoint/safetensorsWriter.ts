/**
 * Writer for the Hugging Face safetensors format (the layout is described in safetensors.ts).
 * What it writes, the HF library reads and writes byte for byte the same.
 */

import { describeValue as describe, SafetensorsError } from './errors';
import { isNonNegativeSafeInteger, LITTLE_ENDIAN, METADATA_KEY } from './safetensors';

/**
 * A tensor to write; `data.length` must equal the product of `shape` (row-major). F32 (the
 * default) takes a Float32Array; F16 and BF16 take the 16-bit patterns as a Uint16Array.
 */
export interface TensorToWrite {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array | Uint16Array;
  readonly dtype?: 'F32' | 'F16' | 'BF16';
}

/**
 * A complete safetensors file holding every tensor in its dtype (F32 unless said). Byte-compatible with what the HF
 * library writes for the same tensors: `__metadata__` first (omitted when empty), tensors
 * sorted by name and stored contiguously in that order, header padded with spaces to a
 * multiple of 8 bytes so the data section is 8-byte aligned.
 */
export function serializeSafetensors(tensors: readonly TensorToWrite[], metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const seen = new Set<string>();
  for (const t of tensors) validateTensorToWrite(t, seen);
  const metaEntries = Object.entries(metadata);
  for (const [key, value] of metaEntries) {
    if (typeof value !== 'string') {
      throw new SafetensorsError(`metadata[${JSON.stringify(key)}] is ${describe(value)}, expected a string`);
    }
    checkWellFormed(`metadata key ${JSON.stringify(key)}`, key);
    checkWellFormed(`metadata[${JSON.stringify(key)}]`, value);
  }

  const sorted = [...tensors].sort((a, b) => compareCodePoints(a.name, b.name));
  const parts: string[] = [];
  if (metaEntries.length > 0) {
    const meta = metaEntries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',');
    parts.push(`"${METADATA_KEY}":{${meta}}`);
  }
  let offset = 0;
  for (const t of sorted) {
    const end = offset + t.data.byteLength;
    parts.push(`${JSON.stringify(t.name)}:{"dtype":"${t.dtype ?? 'F32'}","shape":${JSON.stringify(t.shape)},"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const headerText = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = headerText.length + ((8 - (headerText.length % 8)) % 8);

  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  out.set(headerText, 8);
  out.fill(0x20, 8 + headerText.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const t of sorted) {
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    } else {
      for (let i = 0; i < t.data.length; i++) {
        if (t.data instanceof Float32Array) view.setFloat32(at + 4 * i, t.data[i]!, true);
        else view.setUint16(at + 2 * i, t.data[i]!, true);
      }
    }
    at += t.data.byteLength;
  }
  return out;
}

function validateTensorToWrite(t: TensorToWrite, seen: Set<string>): void {
  const where = `tensor ${JSON.stringify(t.name)}`;
  if (t.name === METADATA_KEY) {
    throw new SafetensorsError(`"${METADATA_KEY}" is reserved and cannot be a tensor name`);
  }
  if (seen.has(t.name)) throw new SafetensorsError(`${where} appears more than once`);
  seen.add(t.name);
  checkWellFormed(where, t.name);
  if (!Array.isArray(t.shape) || !t.shape.every(isNonNegativeSafeInteger)) {
    throw new SafetensorsError(`${where} has shape ${JSON.stringify(t.shape)}, expected non-negative integers`);
  }
  const dtype = t.dtype ?? 'F32';
  if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16') throw new SafetensorsError(`${where} has dtype ${describe(dtype)}, expected F32, F16 or BF16`);
  const want = dtype === 'F32' ? Float32Array : Uint16Array;
  if (!(t.data instanceof want)) {
    throw new SafetensorsError(`${where} data is ${describe(t.data)}, expected a ${want.name} for ${dtype}`);
  }
  const elements = t.shape.reduce((a, b) => a * b, 1);
  if (elements !== t.data.length) {
    throw new SafetensorsError(`${where} has shape ${JSON.stringify(t.shape)} (${elements} elements) but ${t.data.length} values`);
  }
}

/** The HF reader (serde_json) rejects escaped lone surrogates, so never write them. */
function checkWellFormed(what: string, s: string): void {
  if (/\p{Cs}/u.test(s)) {
    throw new SafetensorsError(`${what} contains a lone UTF-16 surrogate, which cannot be stored as UTF-8`);
  }
}

/** Orders strings by Unicode code point, i.e. by UTF-8 bytes, as Rust's String ordering does. */
function compareCodePoints(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(i)!;
    if (ca !== cb) return ca - cb;
    i += ca > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}
