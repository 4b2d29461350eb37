/**
 * Drives a long analysis (engine/analysis/passes.ts) inside the worker: one batch of passes at
 * a time, reporting progress after each and yielding to the event loop in between, so a
 * `cancel` from the host is read while the analysis runs and stops it before its next pass.
 */

import type { PassCount, PassSteps } from '../engine';
import { WorkerError } from './errors';

export interface PassDriver {
  /** Runs `steps` to its result, or throws a 'cancelled' WorkerError naming `what` once cancelled. */
  run<T>(steps: PassSteps<T>, what: string): Promise<T>;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function passDriver(cancelled: () => boolean, onProgress: (c: PassCount) => void): PassDriver {
  return {
    async run<T>(steps: PassSteps<T>, what: string): Promise<T> {
      for (;;) {
        if (cancelled()) throw new WorkerError('cancelled', `${what} was cancelled`);
        const r = steps.next();
        if (r.done) return r.value;
        onProgress(r.value);
        await yieldToEventLoop();
        if (cancelled()) {
          steps.return(undefined as never);
          throw new WorkerError('cancelled', `${what} was cancelled after ${r.value.done} of ${r.value.total} passes`);
        }
      }
    },
  };
}
