/**
 * Detection patterns for attention heads (TransformerLens head_detector, ANALYSIS.md §1): an
 * n×n lower-triangular 0/1 matrix P saying where a head of a given kind should attend. Query
 * rows, key columns, row-major. The scores in headScores.ts compare a head's attention with P.
 */

/** The named head kinds, in the order of the CLI's JSON contract. */
export const HEAD_KINDS = ['previous_token', 'duplicate_token', 'induction', 'first_token', 'current_token'] as const;
export type HeadKind = (typeof HEAD_KINDS)[number];

export class HeadPatternError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'HeadPatternError';
  }
}

/** P[i][i−1] = 1 for i ≥ 1. */
export function previousTokenPattern(n: number): Float64Array {
  const p = new Float64Array(n * n);
  for (let i = 1; i < n; i++) p[i * n + i - 1] = 1;
  return p;
}

/** P[i][j] = 1 iff t[i] = t[j] and j < i (the diagonal excluded). */
export function duplicateTokenPattern(tokens: ArrayLike<number>): Float64Array {
  const n = tokens.length;
  const p = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) if (tokens[i] === tokens[j]) p[i * n + j] = 1;
  return p;
}

/**
 * The duplicate pattern shifted right by one column, lower triangle kept: query i attends to
 * key j when the token just before j equals t[i] — "the token after an earlier copy of me".
 * Shifting D (strictly lower) right puts its entries at j ≤ i, so the triangle cut is a no-op
 * kept for fidelity to TL's definition.
 */
export function inductionPattern(tokens: ArrayLike<number>): Float64Array {
  const n = tokens.length;
  const d = duplicateTokenPattern(tokens);
  const p = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 1; j <= i; j++) p[i * n + j] = d[i * n + j - 1]!;
  return p;
}

/** Every query attends to position 0 (BOS or the first token: the usual attention sink). */
export function firstTokenPattern(n: number): Float64Array {
  const p = new Float64Array(n * n);
  for (let i = 0; i < n; i++) p[i * n] = 1;
  return p;
}

/** Every query attends to itself. */
export function currentTokenPattern(n: number): Float64Array {
  const p = new Float64Array(n * n);
  for (let i = 0; i < n; i++) p[i * n + i] = 1;
  return p;
}

/** The pattern of a named kind for a token sequence. */
export function patternFor(kind: HeadKind, tokens: ArrayLike<number>): Float64Array {
  const n = tokens.length;
  switch (kind) {
    case 'previous_token':
      return previousTokenPattern(n);
    case 'duplicate_token':
      return duplicateTokenPattern(tokens);
    case 'induction':
      return inductionPattern(tokens);
    case 'first_token':
      return firstTokenPattern(n);
    case 'current_token':
      return currentTokenPattern(n);
  }
}

/**
 * Checks a (custom) pattern: n > 1, n² cells, nothing above the diagonal. Returns whether it is
 * 0/1 — TL warns, rather than refuses, when it is not, and so do we (through the caller).
 */
export function checkPattern(p: ArrayLike<number>, n: number): { readonly binary: boolean } {
  if (!(Number.isInteger(n) && n > 1)) throw new HeadPatternError(`head detection needs at least 2 tokens, got ${n}`);
  if (p.length !== n * n) throw new HeadPatternError(`the pattern has ${p.length} cells; ${n} tokens need ${n}×${n} = ${n * n}`);
  let binary = true;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = p[i * n + j]!;
      if (j > i && v !== 0) throw new HeadPatternError(`the pattern is not lower-triangular: P[${i}][${j}] = ${v}`);
      if (v !== 0 && v !== 1) binary = false;
    }
  }
  return { binary };
}
