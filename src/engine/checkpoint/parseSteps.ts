/**
 * A checkpoint parse as a sequence of steps (check each tensor, then build the model), so a
 * caller can report progress and let other work in between: the worker yields to its event loop
 * there, which is how a cancel reaches a large load (node/loadProgress.ts). A parse that needs
 * neither runs its steps at once with runParseSteps.
 */

/** How far a parser is: 'check' counts the weights checked for non-finite values, 'build' the steps of making the model. */
export interface ParseStep {
  readonly phase: 'check' | 'build';
  readonly done: number;
  readonly total: number;
}

/** A parser's progress callback (a large file takes a noticeable time to check). */
export type ParseProgress = (phase: ParseStep['phase'], done: number, total: number) => void;

/**
 * A parse as steps, for a caller that reports progress and lets other work (a cancel) in between:
 * a step is yielded before the check and after each tensor is checked, and at the start and end of
 * building; the model is the return value. Run whole by runParseSteps.
 */
export type ParseSteps<T> = Generator<ParseStep, T, void>;

/** Runs a parse's steps to its result at once, telling `onProgress` each one. */
export function runParseSteps<T>(steps: ParseSteps<T>, onProgress?: ParseProgress): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    onProgress?.(r.value.phase, r.value.done, r.value.total);
  }
}
