/**
 * Long analyses (the ablation sweep, integrated gradients) run as generators that yield after
 * each batch of forward/backward passes, saying how far they are. A caller that must stay
 * responsive (the worker, which reads a cancel message between two passes) drives one step at a
 * time and yields to its event loop in between; everyone else runs them straight through with
 * runPasses. The engine stays synchronous and imports nothing: the pausing is the caller's.
 */

/** `done` of `total` passes finished. */
export interface PassCount {
  readonly done: number;
  readonly total: number;
}

/** An analysis that reports after each batch of passes and returns its result at the end. */
export type PassSteps<T> = Generator<PassCount, T, void>;

/** Runs an analysis to the end without pausing. */
export function runPasses<T>(steps: PassSteps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}
