/**
 * A custom head detector as the dashboard's user defines it: a rule saying where a head of the
 * wanted kind attends, which the worker turns into the detection pattern for the window's actual
 * tokens (worker/customHeads.ts), and TransformerLens's scoring options. The page sends the rule,
 * never an n×n matrix: a rule is small, checkable and means the same on every window.
 *
 * The rule comes from the page, so it is untrusted: `checkedDetector` rebuilds it field by field
 * with bounded offsets and a bounded, statically safe regular expression (regexSafety.ts), used
 * by the host's check of page messages and the worker's check of view requests alike.
 */

import { unsafeRegexReason } from './regexSafety';
import { bool, describe, fail, int, oneOf, record, str, within } from './validation';

export type HeadRule =
  /** Key = query − offset: 1 the previous token, 0 itself, −1 the next one (bidirectional models only). */
  | { readonly kind: 'offset'; readonly offset: number }
  /** Key = an earlier copy of the query's token, shifted by offset: 0 the copy (duplicate token), 1 the token after it (induction). */
  | { readonly kind: 'occurrence'; readonly offset: number }
  /** Keys whose token text matches the regular expression (the 'u' flag; JavaScript syntax). */
  | { readonly kind: 'match'; readonly regex: string }
  /** Key = this window position: 0 is the first token (BOS, the usual attention sink). */
  | { readonly kind: 'position'; readonly position: number };

export type HeadRuleKind = HeadRule['kind'];
export const HEAD_RULE_KINDS: readonly HeadRuleKind[] = ['offset', 'occurrence', 'match', 'position'];

export interface CustomDetector {
  readonly rule: HeadRule;
  /** TransformerLens's "mul" (share of attention on the pattern) or "abs" (1 − round(Σ|A − P| / n, 3)). */
  readonly method: 'mul' | 'abs';
  /** Leave the first key column (BOS) out of the score. */
  readonly excludeBos: boolean;
  /** Leave the diagonal (attention to itself) out of the score. */
  readonly excludeCurrentToken: boolean;
}

/** Offsets and positions beyond this are nonsense for any context window. */
export const MAX_RULE_OFFSET = 1 << 16;
/** A token-matching regex is at most this long (a token is a few characters). */
export const MAX_RULE_REGEX_CHARS = 200;
/** A token's text is matched on its first this many UTF-16 units: with the static check, a bounded cost per token. */
export const MAX_MATCHED_TEXT_CHARS = 64;

export const DEFAULT_DETECTOR: CustomDetector = { rule: { kind: 'offset', offset: 1 }, method: 'mul', excludeBos: false, excludeCurrentToken: false };

/** The regex a `match` rule compiles to, or why it cannot be used (too long, unsafe, does not compile). */
export function ruleRegex(source: string): RegExp | string {
  if (source.length === 0) return 'the regular expression is empty';
  if (source.length > MAX_RULE_REGEX_CHARS) return `the regular expression is ${source.length} characters; at most ${MAX_RULE_REGEX_CHARS}`;
  const unsafe = unsafeRegexReason(source);
  if (unsafe) return `the regular expression could take exponential time: ${unsafe}`;
  try {
    return new RegExp(source, 'u');
  } catch (e) {
    return `the regular expression does not compile: ${(e as Error).message}`;
  }
}

/**
 * A `match` rule's test of a token id: its regex on the first MAX_MATCHED_TEXT_CHARS of the
 * token's text (`label`), once per distinct id. Refuses (InvalidMessage) a regex ruleRegex refuses.
 */
export function tokenMatcher(source: string, label: (id: number) => string): (id: number) => boolean {
  const re = ruleRegex(source);
  if (typeof re === 'string') fail(re);
  const seen = new Map<number, boolean>();
  return (id) => {
    let hit = seen.get(id);
    if (hit === undefined) seen.set(id, (hit = re.test(label(id).slice(0, MAX_MATCHED_TEXT_CHARS))));
    return hit;
  };
}

function checkedRule(raw: unknown): HeadRule {
  const o = record(raw, 'the rule');
  const kind = oneOf(o, 'kind', HEAD_RULE_KINDS);
  switch (kind) {
    case 'offset':
    case 'occurrence':
      return { kind, offset: int(o, 'offset', -MAX_RULE_OFFSET, MAX_RULE_OFFSET) };
    case 'position':
      return { kind, position: int(o, 'position', 0, MAX_RULE_OFFSET) };
    case 'match': {
      const regex = str(o, 'regex', MAX_RULE_REGEX_CHARS);
      const compiled = ruleRegex(regex);
      if (typeof compiled === 'string') fail(`regex ${describe(regex)}: ${compiled}`);
      return { kind, regex };
    }
  }
}

/** The detector rebuilt from untrusted data (extra fields dropped); throws InvalidMessage with the reason. */
export function checkedDetector(raw: unknown): CustomDetector {
  const o = record(raw, 'detector');
  return {
    rule: within('rule', () => checkedRule(o.rule)),
    method: oneOf(o, 'method', ['mul', 'abs'] as const),
    excludeBos: bool(o, 'excludeBos'),
    excludeCurrentToken: bool(o, 'excludeCurrentToken'),
  };
}

/** One string per distinct detector (field order fixed): what a held payload is matched against. */
export function detectorKey(d: CustomDetector): string {
  const r = d.rule;
  const rule = r.kind === 'match' ? `match:${r.regex}` : r.kind === 'position' ? `position:${r.position}` : `${r.kind}:${r.offset}`;
  return `${d.method}|${d.excludeBos ? 'B' : ''}${d.excludeCurrentToken ? 'C' : ''}|${rule}`;
}
