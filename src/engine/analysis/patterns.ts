/**
 * Detection patterns for attention heads (TransformerLens head_detector, ANALYSIS.md §1): an
 * n×n lower-triangular 0/1 matrix P saying where a head of a given kind should attend. Query
 * rows, key columns, row-major. The scores in headScores.ts compare a head's attention with P.
 *
 * Bidirectional attention (an encoder such as BERT, `causal` false). With no mask, A[i][j] can
 * be non-zero for j > i, and TL's lower-triangular patterns would ignore half of what a head
 * does. In ANALYSIS terms (t = tokens, D = duplicate pattern), the patterns become:
 * - previous token: unchanged, P[i][i−1] = 1; its mirror, **next token**, P[i][i+1] = 1 for
 *   i < n−1, is scored too (under a causal mask it is always 0, so only encoders report it);
 * - duplicate token: P[i][j] = 1 iff t[i] = t[j] and j ≠ i — a copy of me on either side;
 * - induction: P[i][j] = D[i][j−1] for j ≥ 1 with that two-sided D, no triangle cut — "the
 *   token right after another copy of me, earlier or later". An encoder is not trained to
 *   predict the next token, so a high score is a look-up/copy pattern, not evidence of in-context
 *   next-token prediction as it is in a decoder;
 * - first token ([CLS]) and current token: unchanged.
 * Custom patterns may then use the upper triangle.
 */

/** The named head kinds, in the order of the CLI's JSON contract. */
export const HEAD_KINDS = ['previous_token', 'duplicate_token', 'induction', 'first_token', 'current_token'] as const;
export type HeadKind = (typeof HEAD_KINDS)[number];
/** Every pattern patternFor() builds: the contract's kinds and the bidirectional-only next token. */
export type DetectorKind = HeadKind | 'next_token';

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

/** P[i][i+1] = 1 for i < n − 1 (bidirectional models only: a causal head cannot see i + 1). */
export function nextTokenPattern(n: number): Float64Array {
  const p = new Float64Array(n * n);
  for (let i = 0; i + 1 < n; i++) p[i * n + i + 1] = 1;
  return p;
}

/** P[i][j] = 1 iff t[i] = t[j] and j < i (the diagonal excluded); without the mask, j ≠ i. */
export function duplicateTokenPattern(tokens: ArrayLike<number>, causal = true): Float64Array {
  const n = tokens.length;
  const p = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < (causal ? i : n); j++) if (j !== i && tokens[i] === tokens[j]) p[i * n + j] = 1;
  return p;
}

/**
 * The duplicate pattern shifted right by one column, lower triangle kept: query i attends to
 * key j when the token just before j equals t[i] — "the token after an earlier copy of me".
 * Shifting D (strictly lower) right puts its entries at j ≤ i, so the triangle cut is a no-op
 * kept for fidelity to TL's definition.
 */
export function inductionPattern(tokens: ArrayLike<number>, causal = true): Float64Array {
  const n = tokens.length;
  const d = duplicateTokenPattern(tokens, causal);
  const p = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 1; j < (causal ? i + 1 : n); j++) p[i * n + j] = d[i * n + j - 1]!;
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
export function patternFor(kind: DetectorKind, tokens: ArrayLike<number>, causal = true): Float64Array {
  const n = tokens.length;
  switch (kind) {
    case 'previous_token':
      return previousTokenPattern(n);
    case 'next_token':
      return nextTokenPattern(n);
    case 'duplicate_token':
      return duplicateTokenPattern(tokens, causal);
    case 'induction':
      return inductionPattern(tokens, causal);
    case 'first_token':
      return firstTokenPattern(n);
    case 'current_token':
      return currentTokenPattern(n);
  }
}

/**
 * Checks a (custom) pattern: n > 1, n² cells, nothing above the diagonal (unless the model is
 * bidirectional). Returns whether it is 0/1 — TL warns, rather than refuses, when it is not,
 * and so do we (through the caller).
 */
export function checkPattern(p: ArrayLike<number>, n: number, causal = true): { readonly binary: boolean } {
  if (!(Number.isInteger(n) && n > 1)) throw new HeadPatternError(`head detection needs at least 2 tokens, got ${n}`);
  if (p.length !== n * n) throw new HeadPatternError(`the pattern has ${p.length} cells; ${n} tokens need ${n}×${n} = ${n * n}`);
  let binary = true;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = p[i * n + j]!;
      if (causal && j > i && v !== 0) throw new HeadPatternError(`the pattern is not lower-triangular: P[${i}][${j}] = ${v}`);
      if (v !== 0 && v !== 1) binary = false;
    }
  }
  return { binary };
}
