/**
 * Turns on WebAssembly relaxed SIMD (fused multiply-add) on Node versions that ship it behind
 * a flag (Node 20; Electron, which VS Code desktop runs on, and Node 22+ have it on). The
 * engine then picks its relaxed-SIMD kernels, which are faster. It must run before the engine
 * loads its kernels; where the flag does not exist the engine simply keeps plain SIMD.
 */

import * as v8 from 'node:v8';

export function enableRelaxedSimd(): void {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 22 || process.versions.electron) return;
  try {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // An unknown flag is not an error worth stopping for: plain SIMD kernels remain.
  }
}
