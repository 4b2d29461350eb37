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
  if (Array.isArray(x)) return `an array (${quote(x)})`;
  if (typeof x === 'object') {
    const kind = x.constructor?.name;
    return kind && kind !== 'Object' ? `a ${kind}` : 'an object';
  }
  return `${typeof x} ${quote(x)}`;
}

/**
 * JSON-like text of an untrusted value for an error message, cut to `max` characters. Never
 * throws and never walks more than it prints: a file can nest arrays deeper than
 * JSON.stringify can recurse (JSON.parse copes), and a name or list can be megabytes long.
 */
export function quote(x: unknown, max = 60): string {
  let s = '';
  const put = (t: string): boolean => {
    s += t;
    return s.length <= max;
  };
  // Every level prints at least one character, so recursion stops within `max` levels.
  const walk = (v: unknown): boolean => {
    if (typeof v === 'string') return put(JSON.stringify(v.length > max ? v.slice(0, max) : v));
    if (Array.isArray(v)) {
      if (!put('[')) return false;
      for (let i = 0; i < v.length; i++) if ((i > 0 && !put(',')) || !walk(v[i])) return false;
      return put(']');
    }
    if (typeof v === 'object' && v !== null) {
      if (!put('{')) return false;
      let first = true;
      for (const k in v) {
        if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
        if ((!first && !put(',')) || !put(`${JSON.stringify(k.length > max ? k.slice(0, max) : k)}:`) || !walk((v as Record<string, unknown>)[k])) return false;
        first = false;
      }
      return put('}');
    }
    return put(String(v));
  };
  walk(x);
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}
