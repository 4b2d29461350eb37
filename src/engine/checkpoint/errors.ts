/**
 * Error classes for reading and writing checkpoint files. Checkpoints come from disk and from
 * other people, so every format problem is a named error whose message says what was found
 * and what was expected; callers (CLI, worker) turn these into one readable line for the user.
 */

/** Base class for every checkpoint format problem, so callers can catch them as one family. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A `.safetensors` file (or a tensor list about to be written as one) is malformed or unsupported. */
export class SafetensorsError extends CheckpointError {}
