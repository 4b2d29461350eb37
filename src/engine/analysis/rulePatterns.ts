/**
 * Detection patterns built from a rule rather than named (the dashboard's custom head detector,
 * protocol/headRules.ts): n×n 0/1 matrices, query rows, key columns, as in patterns.ts, scored
 * by detectHead. Each generalises a named pattern with a parameter:
 * - offset k: P[i][i−k] = 1 (k = 1 previous token, 0 current token, −1 next token);
 * - occurrence + o: P[i][m+o] = 1 for every earlier copy m of t[i] (o = 0 duplicate token,
 *   o = 1 induction);
 * - a set of keys (those whose text matches a regex): P[i][j] = 1 for every such j;
 * - position p: P[i][p] = 1 (p = 0 first token).
 * Under the causal mask (the default) a query sees only keys j ≤ i, so cells above the
 * diagonal stay 0; a bidirectional model (an encoder) uses both sides, and "earlier copy" then
 * means any other copy, as in patterns.ts. `rulePattern` builds the pattern of a rule (the
 * worker's customHeads view and `attention-lens heads --rule` share it).
 */

import { HeadPatternError } from './patterns';

function checkedLength(n: number): number {
  if (!(Number.isInteger(n) && n >= 0)) throw new HeadPatternError(`a pattern needs a whole number of tokens, got ${n}`);
  return n;
}

/** P[i][i−k] = 1 wherever 0 ≤ i − k < n (and k ≥ 0 under the causal mask). */
export function offsetPattern(n: number, k: number, causal = true): Float64Array {
  checkedLength(n);
  const p = new Float64Array(n * n);
  if (causal && k < 0) return p;
  for (let i = Math.max(0, k); i < n && i - k < n; i++) p[i * n + i - k] = 1;
  return p;
}

/**
 * P[i][m + o] = 1 for every m with t[m] = t[i], m ≠ i (m < i under the causal mask), where
 * 0 ≤ m + o < n (and m + o ≤ i under the causal mask). o = 0 is the duplicate-token pattern,
 * o = 1 the induction pattern.
 */
export function occurrencePattern(tokens: ArrayLike<number>, o: number, causal = true): Float64Array {
  const n = checkedLength(tokens.length);
  const p = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let m = 0; m < (causal ? i : n); m++) {
      const j = m + o;
      if (m === i || tokens[m] !== tokens[i] || j < 0 || j >= n || (causal && j > i)) continue;
      p[i * n + j] = 1;
    }
  }
  return p;
}

/** P[i][j] = 1 for every key j with keys[j] true (j ≤ i under the causal mask). */
export function keySetPattern(keys: ArrayLike<boolean>, causal = true): Float64Array {
  const n = checkedLength(keys.length);
  const p = new Float64Array(n * n);
  for (let j = 0; j < n; j++) if (keys[j]) for (let i = causal ? j : 0; i < n; i++) p[i * n + j] = 1;
  return p;
}

/** P[i][q] = 1 for every query i that sees key q (i ≥ q under the causal mask); nothing when q is outside the window. */
export function positionPattern(n: number, q: number, causal = true): Float64Array {
  checkedLength(n);
  const p = new Float64Array(n * n);
  if (!(Number.isInteger(q) && q >= 0 && q < n)) return p;
  for (let i = causal ? q : 0; i < n; i++) p[i * n + q] = 1;
  return p;
}

/** A rule as the engine takes it: a `match` rule brings its test of a token id (the caller owns the regex). */
export type PatternRule =
  | { readonly kind: 'offset'; readonly offset: number }
  | { readonly kind: 'occurrence'; readonly offset: number }
  | { readonly kind: 'match'; readonly test: (id: number) => boolean }
  | { readonly kind: 'position'; readonly position: number };

/** The rule's n×n pattern over `ids`. A key ahead of the query under the causal mask is refused: no head could ever score on it. */
export function rulePattern(rule: PatternRule, ids: ArrayLike<number>, causal = true): Float64Array {
  switch (rule.kind) {
    case 'offset':
      if (causal && rule.offset < 0)
        throw new HeadPatternError(`the token ${-rule.offset} ahead is never visible to a causal model (each token sees only the tokens before it)`);
      return offsetPattern(ids.length, rule.offset, causal);
    case 'occurrence':
      return occurrencePattern(ids, rule.offset, causal);
    case 'match':
      return keySetPattern(
        Array.from(ids, (id) => rule.test(id)),
        causal,
      );
    case 'position':
      return positionPattern(ids.length, rule.position, causal);
  }
}
