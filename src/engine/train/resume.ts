/**
 * Whether a checkpoint's training state can be continued on a given text, and if not, why, in
 * words a person can act on. Used by `train --resume` and the editor's Continue Training, so
 * both refuse the same things: no training state, a run already complete, a different text.
 */

import type { TrainingSnapshot } from '../checkpoint/native';
import { dataFingerprint, sameData } from './fingerprint';
import type { TrainOptions } from './options';

export class ResumeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResumeError';
  }
}

/**
 * The training state to continue, checked against the ids it is to continue on. `what` names the
 * checkpoint in messages. Returns a note when the text could not be checked (a checkpoint written
 * before fingerprints were kept), else null.
 */
export function checkResumable(training: TrainingSnapshot | null, ids: Int32Array, what: string): { training: TrainingSnapshot; note: string | null } {
  if (!training) {
    throw new ResumeError(`${what} holds no training state (no optimizer moments, step or generator), so there is no run to continue`);
  }
  const { step } = training.state;
  const total = training.options.steps;
  if (step >= total) {
    throw new ResumeError(
      `${what} is complete: it trained all ${total} steps of its run, so there is nothing left to resume; start a new run to train further`,
    );
  }
  const saved = training.data;
  if (!saved) return { training, note: `${what} predates text fingerprints, so the text could not be checked against the one it was trained on` };
  const given = dataFingerprint(ids);
  if (!sameData(saved, given)) {
    throw new ResumeError(
      `the text differs from the one ${what} was trained on (${saved.tokens} tokens, fingerprint ${saved.hash}; this text gives ${given.tokens} tokens, ${given.hash}): a resumed run must train on the same text`,
    );
  }
  return { training, note: null };
}

/** Options of a resumed run that the caller asked for explicitly and that differ from the run's own (one message per option). */
export function optionConflicts(saved: TrainOptions, given: Partial<TrainOptions>, names: Partial<Record<keyof TrainOptions, string>> = {}): string[] {
  const out: string[] = [];
  for (const key of Object.keys(given) as (keyof TrainOptions)[]) {
    const v = given[key];
    if (v === undefined || v === saved[key]) continue;
    out.push(`${names[key] ?? key} ${v} differs from the run's ${saved[key]}`);
  }
  return out;
}
