/**
 * Backend selection for test runs: $ATTENTION_LENS_BACKEND = js | wasm | auto (default auto,
 * i.e. WebAssembly where it loads). Imported by the kernel tests (so a full `mocha` run
 * honours it) and usable as a mocha --require for single files.
 */

import { selectBackend, type BackendChoice } from '../../../../src/engine/kernels/activeBackend';

export function requestedBackend(): BackendChoice {
  const v = process.env.ATTENTION_LENS_BACKEND ?? 'auto';
  if (v !== 'js' && v !== 'wasm' && v !== 'auto') throw new Error(`ATTENTION_LENS_BACKEND must be js, wasm or auto, got "${v}"`);
  return v;
}

/** Re-selects the backend the run asked for (after a test switched it). */
export function restoreDefaultBackend(): void {
  const s = selectBackend(requestedBackend());
  if (requestedBackend() === 'wasm' && s.fallbackReason) throw new Error(`ATTENTION_LENS_BACKEND=wasm but WebAssembly did not load: ${s.fallbackReason}`);
}

restoreDefaultBackend();
