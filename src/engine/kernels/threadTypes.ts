/**
 * The types of the engine's compute threads (computeThreads.ts) that the rest of the engine and
 * its hosts name: how a host starts a helper thread, what the helper is given, when helpers are
 * spawned, and one part of a split call.
 */

/** Starts one helper thread; the host's side of compute threads. */
export interface ThreadSpawner {
  /**
   * Runs `source` — the text of a function `(data, onExit) => void` — in a new thread with `data`
   * (structured-cloned: the module, and the shared memory and control block, shared). `onExit`
   * registers a callback for when that thread exits, however it exits.
   */
  spawn(source: string, data: HelperData): SpawnedThread;
}

export interface SpawnedThread {
  /** Ends the thread now (it need not be idle). */
  terminate(): void;
}

/** What a helper thread is given. */
export interface HelperData {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly control: SharedArrayBuffer;
  /** This helper's slot in the control block. */
  readonly slot: number;
  /** Kernel export names, by the op number the caller posts. */
  readonly names: readonly string[];
}

/**
 * When helpers are spawned: 'now' (they start while the caller loads a model: a long-lived
 * host; the first split call waits until they are ready) or 'first-split' (by the first call
 * big enough to split: a short-lived process whose model may be too small to split at all).
 * 'first-split' never waits for them: until every helper is ready (~100 ms on 2 cores), split
 * calls run their parts on the calling thread, which gives the same results; a command that
 * needs one token does not wait for a thread to start.
 */
export type ThreadStart = 'now' | 'first-split';

/** One part of a split call: an export of the kernel module and its arguments. */
export interface ThreadJob {
  readonly op: string;
  readonly args: readonly number[];
}

/** The kernel module's functions, by name, as the calling thread calls its own part. */
export type KernelFunctions = Readonly<Record<string, unknown>>;
