/**
 * The WebAssembly SIMD backend: loads the kernels compiled from wasm/assembly (embedded as
 * base64 in generated/wasmModules.ts), preferring the relaxed-SIMD build (fused
 * multiply-add) when the runtime validates it, and runs every kernel on copies of its
 * operands in the module's memory. Copy-in/copy-out is a memcpy per operand (a few % of a
 * matmul's time at the engine's shapes) and keeps tensors plain Float32Arrays that never
 * detach when the memory grows.
 *
 * Loading never throws: failures come back as a reason for backendStatus().
 */

import type { Backend, MatmulOptions } from './backend';
import { WASM_RELAXED_SIMD_BASE64, WASM_SIMD_BASE64 } from './generated/wasmModules';
import { jsBackend } from './jsBackend';

/** Compiled module bytes, one per build (tests substitute broken ones). */
export interface WasmModuleBytes {
  readonly simd?: Uint8Array<ArrayBuffer>;
  readonly relaxedSimd?: Uint8Array<ArrayBuffer>;
}

interface KernelExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  matmulWorkspaceBytes(m: number, k: number, n: number): number;
  matmul(a: number, b: number, c: number, m: number, k: number, n: number, transA: number, transB: number, accumulate: number, ws: number): void;
}

const EXPECTED_EXPORTS = ['memory', 'heapBase', 'matmulWorkspaceBytes', 'matmul'] as const;

export type WasmLoadResult = { readonly backend: Backend; readonly reason: null } | { readonly backend: null; readonly reason: string };

export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function loadWasmBackend(modules?: WasmModuleBytes): WasmLoadResult {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function') {
    return { backend: null, reason: 'WebAssembly is not available in this runtime' };
  }
  const reasons: string[] = [];
  const candidates: [string, () => Uint8Array<ArrayBuffer> | undefined][] = [
    ['wasm-relaxed-simd', () => (modules ? modules.relaxedSimd : decodeBase64(WASM_RELAXED_SIMD_BASE64))],
    ['wasm-simd', () => (modules ? modules.simd : decodeBase64(WASM_SIMD_BASE64))],
  ];
  for (const [name, bytesOf] of candidates) {
    try {
      const bytes = bytesOf();
      if (!bytes) {
        reasons.push(`${name}: no module`);
        continue;
      }
      if (!WebAssembly.validate(bytes)) {
        reasons.push(`${name}: not supported by this runtime (module does not validate)`);
        continue;
      }
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { abort: onAbort } });
      const ex = instance.exports as unknown as KernelExports;
      const missing = EXPECTED_EXPORTS.filter((e) => !(e in instance.exports));
      if (missing.length) {
        reasons.push(`${name}: module lacks ${missing.join(', ')}`);
        continue;
      }
      return { backend: new WasmBackend(name, ex), reason: null };
    } catch (e) {
      reasons.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { backend: null, reason: reasons.join('; ') };
}

function onAbort(): never {
  throw new Error('WebAssembly kernel aborted');
}

const PAGE = 65536;

/**
 * A bump allocator over the module's memory, reset for every kernel call: reserve every
 * region first, grow once, then copy. Views are re-made after a grow detaches the old buffer.
 */
class Arena {
  private readonly memory: WebAssembly.Memory;
  private readonly base: number;
  private top: number;
  private view: Float32Array;

  constructor(ex: KernelExports) {
    this.memory = ex.memory;
    this.base = align(ex.heapBase());
    this.top = this.base;
    this.view = new Float32Array(this.memory.buffer);
  }

  reset(): void {
    this.top = this.base;
  }

  /** Reserves `bytes` (64-byte aligned) and returns their byte offset. */
  alloc(bytes: number): number {
    const at = this.top;
    this.top = align(at + bytes);
    return at;
  }

  /** Grows the memory to hold everything reserved. Throws RangeError when it cannot. */
  commit(): void {
    const have = this.memory.buffer.byteLength;
    if (this.top > have) this.memory.grow(Math.ceil((this.top - have) / PAGE));
  }

  f32(): Float32Array {
    if (this.view.buffer !== this.memory.buffer) this.view = new Float32Array(this.memory.buffer);
    return this.view;
  }

  put(at: number, src: Float32Array, n: number): void {
    this.f32().set(n === src.length ? src : src.subarray(0, n), at >> 2);
  }

  get(at: number, dst: Float32Array, n: number): void {
    dst.set(this.f32().subarray(at >> 2, (at >> 2) + n));
  }
}

function align(x: number): number {
  return (x + 63) & ~63;
}

class WasmBackend implements Backend {
  readonly name: string;
  private readonly ex: KernelExports;
  private readonly arena: Arena;

  constructor(name: string, ex: KernelExports) {
    this.name = name;
    this.ex = ex;
    this.arena = new Arena(ex);
  }

  matmul(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, options: MatmulOptions = {}): void {
    const accumulate = options.accumulate ?? false;
    const ar = this.arena;
    ar.reset();
    const pa = ar.alloc(m * k * 4);
    const pb = ar.alloc(k * n * 4);
    const pc = ar.alloc(m * n * 4);
    const ws = ar.alloc(this.ex.matmulWorkspaceBytes(m, k, n));
    try {
      ar.commit();
    } catch (e) {
      // Out of memory for the copies: the JS reference needs none.
      if (e instanceof RangeError) return jsBackend.matmul(a, b, c, m, k, n, options);
      throw e;
    }
    ar.put(pa, a, m * k);
    ar.put(pb, b, k * n);
    if (accumulate) ar.put(pc, c, m * n);
    this.ex.matmul(pa, pb, pc, m, k, n, options.transA ? 1 : 0, options.transB ? 1 : 0, accumulate ? 1 : 0, ws);
    ar.get(pc, c, m * n);
  }
}
