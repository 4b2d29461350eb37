/**
 * Checks of a tokenizer.json made before the library builds it, for what the library accepts
 * silently but Hugging Face's Rust `tokenizers` refuses or a model cannot use: vocabulary ids
 * (an array indexed by id), merges (two tokens of the vocabulary each), ids without holes,
 * patterns that would backtrack catastrophically, and nesting deep enough to overflow the
 * library's recursion. Each returns a one-line message, or null.
 */

import { quote } from '../../engine';
import { unsafeRegexReason } from '../../protocol/regexSafety';

type Json = Record<string, unknown>;

/** Added tokens and vocabulary ids share one bound: an id of 1e21 is an integer too, and would wrap in an Int32Array. */
export const MAX_ID = 1 << 22;

/** Deeper than any real tokenizer file (about 6 levels); a deeper value is hostile. */
export const MAX_NESTING = 32;

/**
 * A value nested deeper than MAX_NESTING anywhere: the library turns config values into strings
 * (a Replace normalizer's content, say), and an array nested thousands deep overflows the stack
 * in Array.prototype.toString. Walked without recursion, so the check itself cannot overflow.
 */
export function nestingProblem(value: unknown, source: string): string | null {
  const stack: { v: unknown; depth: number; where: string }[] = [{ v: value, depth: 0, where: '' }];
  while (stack.length > 0) {
    const { v, depth, where } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_NESTING) return `${source}: the value at ${quote(where || '(top)', 160)} is nested more than ${MAX_NESTING} levels deep`;
    for (const [k, c] of Object.entries(v)) stack.push({ v: c, depth: depth + 1, where: Array.isArray(v) ? `${where}[${k}]` : where ? `${where}.${k}` : k });
  }
  return null;
}

/** Ids must be small non-negative integers: the vocabulary becomes an array indexed by id. */
export function vocabIdProblem(model: Json, source: string): string | null {
  const vocab = model.vocab;
  if (Array.isArray(vocab)) return null; // Unigram: ids are positions
  if (!isObject(vocab)) return `${source}: model.vocab is not an object of token → id`;
  for (const [token, id] of Object.entries(vocab)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= MAX_ID) {
      return `${source}: vocabulary entry ${quote(token, 200)} has id ${quote(id)}, expected an integer in [0, ${MAX_ID})`;
    }
  }
  return null;
}

/**
 * BPE merges as Rust `tokenizers` reads them (bpe/serialization.rs, bpe/model.rs): all "a b"
 * strings (exactly one space; "#version" lines skipped) or all ["a", "b"] pairs, and a, b and
 * their merge (b without the continuing-subword prefix) all in the vocabulary. The library
 * would cut "a b c" to "a b", and a merge of unknown tokens is one no text can ever reach.
 */
export function mergesProblem(model: Json, source: string): string | null {
  const merges = model.merges;
  if (model.type !== 'BPE' && (model.type !== undefined || merges === undefined)) return null;
  if (merges === undefined) return null; // the library reports the missing merges itself
  if (!Array.isArray(merges)) return `${source}: model.merges is ${quote(merges)}, expected a list of merges`;
  const vocab = isObject(model.vocab) ? model.vocab : {};
  const has = (t: string): boolean => Object.prototype.hasOwnProperty.call(vocab, t);
  const prefix = typeof model.continuing_subword_prefix === 'string' ? model.continuing_subword_prefix : '';
  const pairs = Array.isArray(merges[0]);
  for (let i = 0; i < merges.length; i++) {
    const m: unknown = merges[i];
    if (Array.isArray(m) !== pairs) return `${source}: model.merges mixes "a b" strings and ["a", "b"] pairs (merges[${i}] is ${quote(m)})`;
    if (typeof m === 'string' && m.startsWith('#version')) continue;
    const parts: unknown[] = typeof m === 'string' ? m.split(' ') : Array.isArray(m) ? m : [];
    if (parts.length !== 2 || !parts.every((p) => typeof p === 'string')) {
      const expected = pairs ? 'a pair of two token strings' : 'two tokens separated by one space';
      return `${source}: merges[${i}] is ${quote(m, 120)}, expected ${expected}`;
    }
    const [a, b] = parts as [string, string];
    for (const token of [a, b, a + (prefix && b.startsWith(prefix) ? b.slice(prefix.length) : b)]) {
      if (!has(token)) return `${source}: merges[${i}] ${quote(m, 120)} needs ${quote(token, 120)}, which is not in the vocabulary`;
    }
  }
  return null;
}

/**
 * The ids of the vocabulary and the added tokens must run 0..n-1 without holes. Rust
 * `tokenizers` loads a vocabulary with holes (it only warns when writing one), but here the
 * vocabulary size is the highest id + 1 and must match the model's embedding rows; an id in a
 * hole would decode as nothing. The message names the token after the first hole.
 */
export function idGapProblem(model: Json, added: readonly { id: number; content: string }[], source: string): string | null {
  // Ids are checked integers in [0, MAX_ID) by now (vocabIdProblem, readAddedTokens).
  const vocab = model.vocab;
  const entries: [string, number][] = Array.isArray(vocab)
    ? vocab.map((entry, id) => [String(Array.isArray(entry) ? entry[0] : entry), id])
    : isObject(vocab)
      ? (Object.entries(vocab) as [string, number][])
      : [];
  for (const t of added) entries.push([t.content, t.id]);
  let top = -1;
  for (const [, id] of entries) top = Math.max(top, id);
  const used = new Uint8Array(top + 1);
  for (const [, id] of entries) used[id] = 1;
  const hole = used.indexOf(0);
  if (hole < 0) return null;
  let next = hole;
  while (used[next] === 0) next++;
  const token = entries.find(([, id]) => id === next)![0];
  const ids = next === hole + 1 ? `id ${hole} belongs` : `ids ${hole}..${next - 1} belong`;
  return `${source}: token ${quote(token, 120)} has id ${next} but ${ids} to no token; token ids must run from 0 without gaps`;
}

/**
 * Every `{"Regex": …}` of the normalizer, pre-tokenizer and decoder (Replace, Split) must pass
 * the static backtracking check before the library compiles it (regexSafety.ts).
 */
export function patternProblem(json: Json, source: string): string | null {
  let problem: string | null = null;
  const visit = (x: unknown, where: string, depth: number): void => {
    if (problem !== null || depth > 64 || typeof x !== 'object' || x === null) return;
    if (Array.isArray(x)) {
      x.forEach((c, i) => visit(c, `${where}[${i}]`, depth + 1));
      return;
    }
    const o = x as Json;
    if (typeof o.Regex === 'string') {
      const reason = unsafeRegexReason(o.Regex);
      if (reason) problem = `${source}: the pattern ${quote(o.Regex, 120)} of ${where} is refused: ${reason}`;
    }
    for (const [k, v] of Object.entries(o)) visit(v, typeof o.type === 'string' ? `${where} (${o.type}).${k}` : `${where}.${k}`, depth + 1);
  };
  for (const key of ['normalizer', 'pre_tokenizer', 'decoder', 'post_processor']) visit(json[key], key, 0);
  return problem;
}

function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
