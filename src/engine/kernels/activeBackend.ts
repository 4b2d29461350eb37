/**
 * Which kernel backend is in use, and why: WebAssembly (relaxed SIMD, else plain SIMD) where
 * it loads, the plain-JS reference wherever it does not, with the reason recorded. Ops get
 * the active backend from backend(); the engine never logs, so callers (worker, CLI) read
 * backendStatus() and log it themselves.
 *
 * Kept apart from the contract (backend.ts) because choosing needs both implementations,
 * and the implementations need the contract.
 */

import type { Backend } from './backend';
import { jsBackend } from './jsBackend';
import { loadWasmBackend, type WasmModuleBytes } from './wasmBackend';

/** 'auto': WebAssembly where it loads, else JS. 'wasm': the same, but the caller asked for it. */
export type BackendChoice = 'auto' | 'js' | 'wasm';

export interface BackendStatus {
  /** Name of the active backend: 'js', 'wasm-simd' or 'wasm-relaxed-simd'. */
  readonly name: string;
  readonly requested: BackendChoice;
  /** Why WebAssembly is not in use when it was wanted (null when it is, or when JS was asked for). */
  readonly fallbackReason: string | null;
}

let active: Backend | null = null;
let status: BackendStatus = { name: 'js', requested: 'auto', fallbackReason: null };

/** The active backend, chosen on first use ('auto') unless selectBackend()/setBackend() chose one. */
export function backend(): Backend {
  return active ?? choose('auto');
}

/** How the active backend was chosen; selects one ('auto') if none is yet. */
export function backendStatus(): BackendStatus {
  if (active === null) selectBackend('auto');
  return status;
}

/**
 * Chooses the backend. Never throws: when WebAssembly cannot be loaded the JS backend is
 * used and `fallbackReason` says why. `modules` replaces the built-in module bytes (tests).
 */
export function selectBackend(choice: BackendChoice, modules?: WasmModuleBytes): BackendStatus {
  choose(choice, modules);
  return status;
}

/** Installs the backend for `choice` (falling back to JS with a reason) and returns it. */
function choose(choice: BackendChoice, modules?: WasmModuleBytes): Backend {
  const loaded = choice === 'js' ? { backend: jsBackend, reason: null } : loadWasmBackend(modules);
  const next = loaded.backend ?? jsBackend;
  active = next;
  status = { name: next.name, requested: choice, fallbackReason: loaded.reason };
  return next;
}

/** Installs a given backend (e.g. an instrumented one in a test). */
export function setBackend(next: Backend): void {
  active = next;
  status = { name: next.name, requested: status.requested, fallbackReason: null };
}
