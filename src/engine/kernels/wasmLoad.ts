/**
 * Loading the WebAssembly kernels: the modules compiled from wasm/assembly (embedded as base64
 * in generated/wasmModules.ts), the relaxed-SIMD build (fused multiply-add) preferred when the
 * runtime validates it, instantiated on a shared memory. Loading never throws: failures come
 * back as a reason for backendStatus().
 */

import type { Backend } from './backend';
import { WASM_MEMORY_PAGES, WASM_RELAXED_SIMD_BASE64, WASM_SIMD_BASE64 } from './generated/wasmModules';
import { WasmBackend, type WasmBackendOptions } from './wasmBackend';
import { isKernelModule, missingKernelExports } from './wasmExports';

/** Compiled module bytes, one per build (tests substitute broken ones). */
export interface WasmModuleBytes {
  readonly simd?: Uint8Array<ArrayBuffer>;
  readonly relaxedSimd?: Uint8Array<ArrayBuffer>;
}

export type WasmLoadResult = { readonly backend: Backend; readonly reason: null } | { readonly backend: null; readonly reason: string };

export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function loadWasmBackend(modules?: WasmModuleBytes, options: WasmBackendOptions = {}): WasmLoadResult {
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
      const memory = new WebAssembly.Memory({ ...WASM_MEMORY_PAGES, shared: true });
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { abort: onAbort, memory } });
      const exports = instance.exports;
      if (!isKernelModule(exports)) {
        reasons.push(`${name}: module lacks ${missingKernelExports(exports).join(', ')}`);
        continue;
      }
      return { backend: new WasmBackend(name, exports, bytes, options), reason: null };
    } catch (e) {
      reasons.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { backend: null, reason: reasons.join('; ') };
}

function onAbort(): never {
  throw new Error('WebAssembly kernel aborted');
}
