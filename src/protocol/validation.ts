/**
 * The one kit for checking untrusted messages field by field, used on both channels: the
 * worker's check of host requests (worker/validate.ts) and the host's check of what the
 * dashboard page posts (presentation/webviewValidation.ts). A check either returns the value,
 * typed, or throws InvalidMessage with a reason that names the field and what was found, so
 * every refusal in the log reads the same way.
 */

/** A message (or one of its fields) is not what the protocol says; the reason is for the log. */
export class InvalidMessage extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'InvalidMessage';
  }
}

export type Fields = Record<string, unknown>;

export function fail(reason: string): never {
  throw new InvalidMessage(reason);
}

/** A short, safe description of an untrusted value for an error message. */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return `${typeof v} ${String(v)}`;
}

/** `v` as a plain record of fields (not null, not an array). */
export function record(v: unknown, what: string): Fields {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${what} must be an object, got ${describe(v)}`);
  return v as Fields;
}

/** A string field, at most `maxChars` long. */
export function str(o: Fields, key: string, maxChars = Number.MAX_SAFE_INTEGER): string {
  const v = o[key];
  if (typeof v !== 'string') fail(`${key} must be a string, got ${describe(v)}`);
  if (v.length > maxChars) fail(`${key} is ${v.length} characters; at most ${maxChars}`);
  return v;
}

export function nonEmpty(o: Fields, key: string, maxChars?: number): string {
  const v = str(o, key, maxChars);
  if (v.length === 0) fail(`${key} must not be empty`);
  return v;
}

/** An integer field in [min, max] (safe integers by default). */
export function int(o: Fields, key: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    const range =
      min === Number.MIN_SAFE_INTEGER && max === Number.MAX_SAFE_INTEGER
        ? 'a safe integer'
        : max === Number.MAX_SAFE_INTEGER
          ? `an integer ≥ ${min}`
          : `an integer in [${min}, ${max}]`;
    fail(`${key} must be ${range}, got ${describe(v)}`);
  }
  return v;
}

export function nonNegative(o: Fields, key: string, max?: number): number {
  return int(o, key, 0, max);
}

/** Any number (NaN and ±Infinity included: ranges are for the receiver to judge). */
export function num(o: Fields, key: string): number {
  const v = o[key];
  if (typeof v !== 'number') fail(`${key} must be a number, got ${describe(v)}`);
  return v;
}

export function bool(o: Fields, key: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') fail(`${key} must be true or false, got ${describe(v)}`);
  return v;
}

export function oneOf<T extends string>(o: Fields, key: string, options: readonly T[]): T {
  const v = o[key];
  if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) fail(`${key} must be one of ${options.join(', ')}, got ${describe(v)}`);
  return v as T;
}

/** Runs `check` on a nested part of a message, naming the part in any refusal ("ranges[3]: start must be…"). */
export function within<T>(part: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof InvalidMessage) fail(`${part}: ${e.message}`);
    throw e;
  }
}

/** Runs a parser on an untrusted value; never throws for a bad value, only reports it. */
export function validated<T>(parse: () => T): { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string } {
  try {
    return { ok: true, value: parse() };
  } catch (e) {
    if (e instanceof InvalidMessage) return { ok: false, reason: e.message };
    return { ok: false, reason: `could not read the message: ${String(e)}` };
  }
}
