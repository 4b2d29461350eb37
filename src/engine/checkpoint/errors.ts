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

/** A short description of an unexpected (untrusted) value, for "found X, expected Y" messages. */
export function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (x === undefined) return 'missing';
  if (Array.isArray(x)) return `an array (${truncate(JSON.stringify(x))})`;
  if (typeof x === 'object') {
    const kind = x.constructor?.name;
    return kind && kind !== 'Object' ? `a ${kind}` : 'an object';
  }
  return `${typeof x} ${truncate(JSON.stringify(x) ?? String(x))}`;
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
