/**
 * The compute threads' control block (a SharedArrayBuffer the caller and its helpers share) and
 * the helpers' program, which reads it: the two sides of one protocol, kept together.
 * computeThreads.ts is the caller's side.
 */

// Control block layout: per helper a slot of SLOT_INTS int32 words (128 bytes: no two helpers
// share a cache line), then per helper MAX_JOBS jobs of JOB_WORDS float64 words (the export
// index, then MAX_ARGS arguments), then a message of MSG_CHARS.
export const SLOT_INTS = 32;
export const SEQ = 0; // bumped by the caller to post a job
export const DONE = 1; // set to SEQ by the helper when the job is finished
export const STATE = 2; // 0 starting, 1 ready, 2 stopped
export const COUNT = 3; // jobs posted, run in order; -1: stop
export const STATUS = 4; // 0 ok, 1 a job failed (message below)
export const MSG_LEN = 5;
export const MAX_ARGS = 20;
export const JOB_WORDS = 1 + MAX_ARGS;
/** Jobs a helper takes in one post: a list longer than this goes in rounds. */
export const MAX_JOBS = 64;
export const MSG_CHARS = 240;
/** Spin iterations before a futex wait (a few µs): a decode step posts hundreds of small jobs. */
export const SPIN = 20000;

export function layout(helpers: number): { argsAt: number; msgAt: number; bytes: number } {
  const argsAt = helpers * SLOT_INTS * 4;
  const msgAt = argsAt + helpers * MAX_JOBS * JOB_WORDS * 8;
  return { argsAt, msgAt, bytes: msgAt + helpers * MSG_CHARS * 2 };
}

/**
 * The helper's program, as source text (it runs in a fresh thread, which cannot import the
 * engine). Plain JS using only WebAssembly and Atomics; the layout constants are spliced in.
 */
export const HELPER_SOURCE = `(data, onExit) => {
  const { module, memory, control, slot, names } = data;
  const helpers = ${'${HELPERS}'};
  const w = new Int32Array(control, slot * ${SLOT_INTS * 4}, ${SLOT_INTS});
  const jobs = new Float64Array(control, helpers * ${SLOT_INTS * 4} + slot * ${MAX_JOBS * JOB_WORDS * 8}, ${MAX_JOBS * JOB_WORDS});
  const msg = new Uint16Array(control, helpers * ${SLOT_INTS * 4 + MAX_JOBS * JOB_WORDS * 8} + slot * ${MSG_CHARS * 2}, ${MSG_CHARS});
  const stopped = () => {
    Atomics.store(w, ${STATE}, 2);
    Atomics.notify(w, ${STATE});
    Atomics.notify(w, ${DONE});
  };
  onExit(stopped);
  const fail = (e) => {
    const text = String((e && e.message) || e).slice(0, ${MSG_CHARS});
    for (let i = 0; i < text.length; i++) msg[i] = text.charCodeAt(i);
    Atomics.store(w, ${MSG_LEN}, text.length);
    Atomics.store(w, ${STATUS}, 1);
  };
  let ex;
  try {
    const abort = () => { throw new Error('WebAssembly kernel aborted'); };
    ex = new WebAssembly.Instance(module, { env: { abort, memory } }).exports;
  } catch (e) {
    fail(e);
    stopped();
    return;
  }
  // Read before saying ready: the caller may post the first job the moment it sees that.
  let seen = Atomics.load(w, ${SEQ});
  Atomics.store(w, ${STATE}, 1);
  Atomics.notify(w, ${STATE});
  for (;;) {
    for (let spin = ${SPIN}; Atomics.load(w, ${SEQ}) === seen; ) {
      if (spin > 0) spin--;
      else Atomics.wait(w, ${SEQ}, seen);
    }
    seen = Atomics.load(w, ${SEQ});
    const count = w[${COUNT}];
    if (count < 0) break;
    try {
      for (let j = 0, a = 0; j < count; j++, a += ${JOB_WORDS}) {
        const name = names[jobs[a]];
        const f = ex[name];
        if (typeof f !== 'function') throw new Error('the kernel module has no function ' + name);
        f(jobs[a + 1], jobs[a + 2], jobs[a + 3], jobs[a + 4], jobs[a + 5], jobs[a + 6], jobs[a + 7], jobs[a + 8], jobs[a + 9], jobs[a + 10],
          jobs[a + 11], jobs[a + 12], jobs[a + 13], jobs[a + 14], jobs[a + 15], jobs[a + 16], jobs[a + 17], jobs[a + 18], jobs[a + 19], jobs[a + 20]);
      }
      Atomics.store(w, ${STATUS}, 0);
    } catch (e) {
      fail(e);
    }
    Atomics.store(w, ${DONE}, seen);
    Atomics.notify(w, ${DONE});
  }
  stopped();
}`;
