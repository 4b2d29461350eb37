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
import type { ThreadSpawner, ThreadStart } from './computeThreads';
import { jsBackend } from './jsBackend';
import { loadWasmBackend, type WasmModuleBytes } from './wasmLoad';

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
  install(next);
  status = { name: next.name, requested: choice, fallbackReason: loaded.reason };
  return next;
}

/** Installs a given backend (e.g. an instrumented one in a test). */
export function setBackend(next: Backend): void {
  install(next);
  status = { name: next.name, requested: status.requested, fallbackReason: null };
}

/** Makes `next` active: the previous one's threads stop, the new one gets the threads asked for. */
function install(next: Backend): void {
  if (active !== next) active?.useThreads?.(1, null);
  active = next;
  threads = applyThreads(next);
}

// ---- compute threads ----

export interface ThreadStatus {
  /** Threads kernel calls are split across (the caller included). */
  readonly threads: number;
  readonly requested: number;
  /** Why fewer threads than requested are in use (null when all are, or one was asked for). */
  readonly fallbackReason: string | null;
}

let threadRequest: { count: number; spawner: ThreadSpawner | null; when: ThreadStart } = { count: 1, spawner: null, when: 'now' };
let threads: ThreadStatus = { threads: 1, requested: 1, fallbackReason: null };

function applyThreads(b: Backend): ThreadStatus {
  const { count, spawner, when } = threadRequest;
  if (count <= 1) {
    b.useThreads?.(1, null);
    return { threads: 1, requested: count, fallbackReason: null };
  }
  if (!b.useThreads) return { threads: 1, requested: count, fallbackReason: `the ${b.name} backend runs on one thread` };
  const used = b.useThreads(count, spawner, when);
  return { threads: used.threads, requested: count, fallbackReason: used.reason };
}

/**
 * Splits big kernel calls across `count` threads (the caller included; 1: none), started by
 * `spawner` (the host's: the engine starts no threads itself). Applies to the active backend
 * (choosing one first) and to any chosen later. Never throws: when threads cannot be had the
 * engine runs on one and `fallbackReason` says why. setComputeThreads(1, null) stops them.
 * `when`: spawn the helpers now (default) or at the first call big enough to split.
 */
export function setComputeThreads(count: number, spawner: ThreadSpawner | null, when: ThreadStart = 'now'): ThreadStatus {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`compute threads must be a whole number ≥ 1, not ${count}`);
  threadRequest = { count, spawner, when };
  threads = applyThreads(backend());
  return threads;
}

/** The compute threads in use now (fewer than set after a helper thread failed: the reason says why). */
export function threadStatus(): ThreadStatus {
  const now = active?.threadStatus?.();
  if (now && now.threads < threads.threads) threads = { ...threads, threads: now.threads, fallbackReason: now.reason };
  return threads;
}
