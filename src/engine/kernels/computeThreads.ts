/**
 * Compute threads for the WebAssembly kernels: helper threads that instantiate the same kernel
 * module on the same shared memory, so a kernel call can be split into parts (rows of a matrix
 * product, heads of attention) that run at once, the calling thread doing one part itself.
 *
 * The engine starts no threads itself (it imports no node:*): the host gives it a
 * ThreadSpawner (src/node/computeThreads.ts, over node:worker_threads) that runs HELPER_SOURCE
 * (threadControl.ts) in a new thread. Calls are synchronous, like every kernel call: the caller
 * posts each helper's part (a list of kernel calls) in a control block (a SharedArrayBuffer),
 * wakes it with Atomics.notify, does its own part (with share(), also JS work such as copying
 * results out), then waits (Atomics.wait) until every helper has stored "done". Both sides spin
 * briefly before sleeping, because a futex wake costs about as much as a small part.
 *
 * A helper whose kernel throws reports the message; one that dies (its thread exits) marks
 * itself stopped: the call in flight throws a clear error and the pool is shut down, so later
 * calls run on the calling thread alone (and ThreadStatus says why).
 */

import { COUNT, DONE, HELPER_SOURCE, JOB_WORDS, layout, MAX_ARGS, MAX_JOBS, MSG_CHARS, MSG_LEN, SEQ, SLOT_INTS, SPIN, STATE, STATUS } from './threadControl';

import type { KernelFunctions, SpawnedThread, ThreadJob, ThreadSpawner, ThreadStart } from './threadTypes';

export type { HelperData, KernelFunctions, SpawnedThread, ThreadJob, ThreadSpawner, ThreadStart } from './threadTypes';

/** What poll() says of a helper still running its jobs. */
const BUSY = Symbol('busy');

/** How long the pool waits for a helper to start (instantiate the module) before giving up. */
const START_MS = 30000;

interface Helper {
  readonly thread: SpawnedThread;
  readonly words: Int32Array;
  readonly jobs: Float64Array;
  readonly msg: Uint16Array;
  seq: number;
}

export class ComputeThreads {
  private helpers: Helper[];
  /** Helpers still to be spawned (the first split call spawns them), or null once they are. */
  private spawnLater: (() => Helper[]) | null;
  /** Helpers this pool has or will have; 0 once stopped. */
  private planned: number;
  private readonly names: string[] = [];
  private readonly opIndex = new Map<string, number>();
  /** Why the pool stopped (a helper died), or null while it runs. */
  private stoppedReason: string | null = null;
  /** Calls split so far (tests check that a workload really was split). */
  splitCalls = 0;
  /** Whether the helpers have yet to be seen ready. */
  private pendingStart = true;
  /** When a helper still starting is given up on (set by the first split call). */
  private startBy = 0;

  private constructor(
    planned: number,
    helpers: Helper[],
    spawnLater: (() => Helper[]) | null,
    names: readonly string[],
    private readonly own: KernelFunctions,
    /** Whether the first split call waits for the helpers to start ('now'), or runs here until they have ('first-split'). */
    private readonly waitToStart: boolean,
  ) {
    this.planned = planned;
    this.helpers = helpers;
    this.spawnLater = spawnLater;
    names.forEach((n, i) => {
      this.names.push(n);
      this.opIndex.set(n, i);
    });
  }

  /**
   * Starts `count − 1` helpers, without waiting for them: they instantiate the module while the
   * caller goes on (loading a model, say), and the first split call waits until they are ready.
   * With `when: 'first-split'` not even that: the helpers are spawned by the first call big
   * enough to split (a short-lived process on a model too small to split never pays for them),
   * and calls run on this thread alone until they are ready.
   * Never throws: returns the reason instead when threads cannot be had.
   */
  static start(
    spawner: ThreadSpawner,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    own: KernelFunctions,
    count: number,
    when: ThreadStart = 'now',
  ): { pool: ComputeThreads; reason: null } | { pool: null; reason: string } {
    if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object')
      return { pool: null, reason: 'shared memory (SharedArrayBuffer, Atomics) is not available' };
    if (!(memory.buffer instanceof SharedArrayBuffer)) return { pool: null, reason: "the kernels' memory is not shared" };
    const n = count - 1;
    const { argsAt, msgAt, bytes } = layout(n);
    const control = new SharedArrayBuffer(bytes);
    const names = Object.keys(own).filter((k) => typeof own[k] === 'function');
    const source = HELPER_SOURCE.replace('${HELPERS}', String(n));
    /** Spawns every helper; throws (having stopped those already spawned) if one cannot be. */
    const spawnAll = (): Helper[] => {
      const helpers: Helper[] = [];
      try {
        for (let slot = 0; slot < n; slot++) {
          const words = new Int32Array(control, slot * SLOT_INTS * 4, SLOT_INTS);
          const thread = spawner.spawn(source, { module, memory, control, slot, names });
          helpers.push({
            thread,
            words,
            jobs: new Float64Array(control, argsAt + slot * MAX_JOBS * JOB_WORDS * 8, MAX_JOBS * JOB_WORDS),
            msg: new Uint16Array(control, msgAt + slot * MSG_CHARS * 2, MSG_CHARS),
            seq: 0,
          });
        }
      } catch (e) {
        for (const h of helpers) stop(h);
        throw e;
      }
      return helpers;
    };
    if (when === 'first-split') return { pool: new ComputeThreads(n, [], spawnAll, names, own, false), reason: null };
    try {
      return { pool: new ComputeThreads(n, spawnAll(), null, names, own, true), reason: null };
    } catch (e) {
      return { pool: null, reason: e instanceof Error ? e.message : String(e) };
    }
  }

  /** Threads a call can be split across (the caller included); 1 once stopped. */
  get size(): number {
    return this.planned + 1;
  }

  /** Why the helpers were stopped after a failure (null while they run, or after dispose()). */
  get failure(): string | null {
    return this.stoppedReason;
  }

  /**
   * Runs jobs[0] on this thread and jobs[i] on helper i at the same time; returns once all are
   * done. Throws the first failure (after every part has finished or its thread has died).
   */
  run(jobs: readonly ThreadJob[]): void {
    // The same as runLists(jobs.map((j) => [j])), without allocating: a decode step splits
    // hundreds of calls of tens of µs each.
    if (jobs.length > this.size) throw new RangeError(`${jobs.length} parts for ${this.size} compute threads`);
    if (jobs.length > 1 && !this.started()) {
      // The helpers could not start (the reason is kept) or are still starting: the parts run here, one after another.
      for (const job of jobs) this.call(job);
      return;
    }
    if (jobs.length > 1) this.splitCalls++;
    for (let i = 1; i < jobs.length; i++) this.post(this.helpers[i - 1]!, jobs, i, i + 1);
    let error: unknown = null;
    try {
      if (jobs.length > 0) this.call(jobs[0]!);
    } catch (e) {
      error = e;
    }
    this.collect(jobs.length - 1, error, (i) => jobs[i + 1]!.op);
  }

  /**
   * Like run(), with a list of jobs per thread, each list run in order (one wake-up per thread
   * for many small jobs: say, the attention heads of a layer). Lists longer than MAX_JOBS go in
   * rounds; every list keeps its order, so a thread's jobs may build on each other's results.
   */
  runLists(lists: readonly (readonly ThreadJob[])[]): void {
    if (lists.length > this.size) throw new RangeError(`${lists.length} parts for ${this.size} compute threads`);
    if (lists.length > 1 && !this.started()) {
      // The helpers could not start (the reason is kept) or are still starting: the parts run here, one after another.
      for (const list of lists) list.forEach((job) => this.call(job));
      return;
    }
    if (lists.length > 1) this.splitCalls++;
    const longest = Math.max(0, ...lists.map((l) => l.length));
    for (let r = 0; r < longest; r += MAX_JOBS) {
      const end = r + MAX_JOBS;
      for (let i = 1; i < lists.length; i++) this.post(this.helpers[i - 1]!, lists[i]!, r, end);
      let error: unknown = null;
      try {
        lists[0]?.slice(r, end).forEach((job) => this.call(job));
      } catch (e) {
        error = e;
      }
      this.collect(lists.length - 1, error, (i) => lists[i + 1]![r]?.op ?? 'kernel');
    }
  }

  /**
   * Shares `count` independent units between this thread and the helpers, handing each thread
   * more as it comes free, for units that only this thread can finish (copying their results
   * into plain arrays, which no other thread can write). A helper is posted `batch` units at a
   * time, `jobFor(unit, slot)`, in one of its two sets of slots (helper i's sets hold slots
   * 2·i·batch … 2·(i+1)·batch − 1), so it computes the next batch while this thread calls
   * `finish(unit, slot)` on the last; between finishing batches this thread runs units itself,
   * `runHere(unit)`. Which thread takes which unit depends on timing, so the units must not
   * depend on each other. Throws the first failure once no helper is busy.
   */
  share(
    count: number,
    batch: number,
    jobFor: (unit: number, slot: number) => ThreadJob,
    finish: (unit: number, slot: number) => void,
    runHere: (unit: number) => void,
  ): void {
    if (!Number.isInteger(batch) || batch < 1 || batch > MAX_JOBS) throw new RangeError(`a batch of ${batch} jobs (1…${MAX_JOBS})`);
    if (!this.started()) {
      for (let u = 0; u < count; u++) runHere(u);
      return;
    }
    this.splitCalls++;
    const helpers = this.helpers;
    /** Per helper, the batch it is computing: its first unit, how many, and which set of slots. */
    const busy: ({ first: number; n: number; set: number } | null)[] = helpers.map(() => null);
    const slotOf = (i: number, set: number, j: number): number => (2 * i + set) * batch + j;
    let next = 0;
    let error: unknown = null;
    let dead: string | null = null;
    const give = (i: number, set: number): void => {
      if (error !== null || dead !== null || next >= count) return;
      const n = Math.min(batch, count - next);
      const first = next;
      this.post(
        helpers[i]!,
        Array.from({ length: n }, (_, j) => jobFor(first + j, slotOf(i, set, j))),
      );
      busy[i] = { first, n, set };
      next += n;
    };
    helpers.forEach((_, i) => give(i, 0));
    for (;;) {
      let freed = false,
        waitFor = -1;
      for (let i = 0; i < helpers.length; i++) {
        const b = busy[i];
        if (!b) continue;
        const outcome = this.poll(helpers[i]!);
        if (outcome === BUSY) {
          waitFor = i;
          continue;
        }
        busy[i] = null;
        freed = true;
        if (outcome === 'stopped')
          dead ??= `compute thread ${i + 2} stopped during a ${jobFor(b.first, 0).op} call${message(helpers[i]!) ? `: ${message(helpers[i]!)}` : ''}`;
        else if (outcome !== null) error ??= new Error(`compute thread ${i + 2} failed in ${jobFor(b.first, 0).op}: ${outcome}`);
        if (outcome !== null) continue;
        give(i, 1 - b.set);
        try {
          for (let j = 0; j < b.n; j++) finish(b.first + j, slotOf(i, b.set, j));
        } catch (e) {
          error ??= e;
        }
      }
      if (freed) continue;
      if (waitFor < 0) break; // nothing in flight: every unit is done (or a failure stopped the handing out)
      if (next < count && error === null && dead === null) {
        try {
          runHere(next++);
        } catch (e) {
          error ??= e;
        }
      } else this.await(helpers[waitFor]!);
    }
    if (dead !== null) {
      this.stoppedReason = dead;
      this.dispose();
      throw new Error(`${dead}; the engine continues on one thread`);
    }
    if (error !== null) throw error;
  }

  /** Runs one job on this thread. */
  private call({ op, args }: ThreadJob): void {
    (this.own[op] as (...a: number[]) => void)(...args);
  }

  /**
   * Waits for the first `helpers` helpers' posted jobs; throws the first failure: this thread's
   * own `error`, then a helper's (`opOf(i)` names helper i's kernel), and if a helper died, stops
   * the pool.
   */
  private collect(helpers: number, error: unknown, opOf: (i: number) => string): void {
    let dead: string | null = null;
    for (let i = 0; i < helpers; i++) {
      const h = this.helpers[i]!;
      const outcome = this.await(h);
      if (outcome === 'stopped') dead ??= `compute thread ${i + 2} stopped during a ${opOf(i)} call${message(h) ? `: ${message(h)}` : ''}`;
      else if (outcome !== null) error ??= new Error(`compute thread ${i + 2} failed in ${opOf(i)}: ${outcome}`);
    }
    if (dead !== null) {
      this.stoppedReason = dead;
      this.dispose();
      throw new Error(`${dead}; the engine continues on one thread`);
    }
    if (error !== null) throw error;
  }

  /**
   * Whether the helpers can take parts now. The first time, spawns them if they are spawned late;
   * then waits until every helper has instantiated the module ('now'), or only looks ('first-split':
   * false while one is still starting). False for good, with the pool stopped, if one cannot start.
   */
  private started(): boolean {
    if (!this.pendingStart) return this.helpers.length > 0;
    try {
      if (this.spawnLater) {
        const spawn = this.spawnLater;
        this.spawnLater = null;
        this.helpers = spawn();
      }
      if (this.startBy === 0) this.startBy = Date.now() + START_MS;
      for (const [i, h] of this.helpers.entries()) {
        while (Atomics.load(h.words, STATE) === 0) {
          const left = this.startBy - Date.now();
          if (left <= 0) throw new Error(`compute thread ${i + 2} did not start within ${START_MS / 1000} s`);
          if (!this.waitToStart) return false;
          Atomics.wait(h.words, STATE, 0, Math.min(left, 100));
        }
        if (Atomics.load(h.words, STATE) !== 1) throw new Error(`compute thread ${i + 2} could not start: ${message(h) || 'it exited'}`);
      }
      this.pendingStart = false;
      return true;
    } catch (e) {
      this.pendingStart = false;
      this.stoppedReason = e instanceof Error ? e.message : String(e);
      this.dispose();
      return false;
    }
  }

  /** Posts jobs[from, to) (to at most the list's end) to helper h and wakes it. */
  private post(h: Helper, jobs: readonly ThreadJob[], from = 0, to = jobs.length): void {
    const end = Math.min(to, jobs.length);
    for (let j = from; j < end; j++) {
      const job = jobs[j]!;
      const op = this.opIndex.get(job.op);
      if (op === undefined) throw new RangeError(`no kernel named ${job.op}`);
      if (job.args.length > MAX_ARGS) throw new RangeError(`${job.op}: more than ${MAX_ARGS} arguments`);
      const at = (j - from) * JOB_WORDS;
      h.jobs[at] = op;
      h.jobs.fill(0, at + 1 + job.args.length, at + JOB_WORDS);
      h.jobs.set(job.args, at + 1);
    }
    h.words[COUNT] = Math.max(0, end - from);
    h.words[STATUS] = 0;
    h.seq = (h.seq + 1) | 0;
    Atomics.store(h.words, SEQ, h.seq);
    Atomics.notify(h.words, SEQ);
  }

  /** A helper's job without waiting: BUSY while it runs, else as await(). */
  private poll(h: Helper): string | null | typeof BUSY {
    if (Atomics.load(h.words, DONE) === h.seq) return Atomics.load(h.words, STATUS) === 0 ? null : message(h);
    return Atomics.load(h.words, STATE) === 2 ? 'stopped' : BUSY;
  }

  /** Waits for a helper's job: null when it succeeded, its error message, or 'stopped' if the thread died. */
  private await(h: Helper): string | null {
    let spin = SPIN;
    for (;;) {
      const done = Atomics.load(h.words, DONE);
      if (done === h.seq) return Atomics.load(h.words, STATUS) === 0 ? null : message(h);
      if (Atomics.load(h.words, STATE) === 2) return 'stopped';
      if (spin > 0) spin--;
      // A bounded sleep: a thread ended from outside (terminate) may not get to say so.
      else Atomics.wait(h.words, DONE, done, 50);
    }
  }

  /** Stops every helper (they exit their loop; terminated in case one is stuck). Idempotent. */
  dispose(): void {
    for (const h of this.helpers) stop(h);
    this.helpers = [];
    this.spawnLater = null;
    this.planned = 0;
  }
}

function stop(h: Helper): void {
  h.words[COUNT] = -1;
  h.seq = (h.seq + 1) | 0;
  Atomics.store(h.words, SEQ, h.seq);
  Atomics.notify(h.words, SEQ);
  h.thread.terminate();
}

function message(h: Helper): string {
  return String.fromCharCode(...h.msg.subarray(0, Atomics.load(h.words, MSG_LEN)));
}
