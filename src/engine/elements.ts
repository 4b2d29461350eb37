/**
 * In-place updates of one element of a typed array, for the loops whose indices are in range
 * by construction (the op checked the shapes before the loop). With noUncheckedIndexedAccess
 * an element read is `number | undefined`; these helpers say once what a read past the end
 * gives (NaN, which shows in any result) instead of a non-null assertion at every `+=`.
 * They keep the arithmetic exactly as `x[i] += v` would (one rounding), and V8 inlines them.
 */

/** The typed arrays the engine loops over (an integer array stores NaN as 0). */
type Numbers = Float32Array | Float64Array | Int32Array;

/** x[i] += v */
export function addAt(x: Numbers, i: number, v: number): void {
  x[i] = (x[i] ?? NaN) + v;
}

/** x[i] *= s */
export function mulAt(x: Numbers, i: number, s: number): void {
  x[i] = (x[i] ?? NaN) * s;
}

/** x[i] /= d */
export function divAt(x: Numbers, i: number, d: number): void {
  x[i] = (x[i] ?? NaN) / d;
}
