/**
 * Why the custom detector form's rule cannot be used, in the display language: the page's words
 * for what protocol/headRules.ts's checkedDetector refuses (a k, offset or p that is not a whole
 * number in range; an empty, too long, exponential or malformed regex). checkedDetector stays the
 * authority — its English reasons are the CLI's and the log's — and the form runs it after this.
 * The regex checker's and the browser's own detail is quoted as they wrote it.
 */

import { MAX_RULE_OFFSET, MAX_RULE_REGEX_CHARS, type HeadRule } from '../src/protocol/headRules';
import { unsafeRegexReason } from '../src/protocol/regexSafety';
import { t } from './l10n';

/** The problem with `rule` as the form built it (`amountName`: the k / offset / p field's label), or null. */
export function formRuleProblem(rule: HeadRule, amountName: string): string | null {
  if (rule.kind === 'match') {
    const source = rule.regex;
    if (source.length === 0) return t('the regular expression is empty');
    if (source.length > MAX_RULE_REGEX_CHARS) return t('the regular expression is {0} characters; at most {1}', source.length, MAX_RULE_REGEX_CHARS);
    const unsafe = unsafeRegexReason(source);
    if (unsafe) return t('the regular expression could take exponential time: {0}', unsafe);
    try {
      new RegExp(source, 'u');
    } catch (e) {
      return t('the regular expression does not compile: {0}', (e as Error).message);
    }
    return null;
  }
  const value = rule.kind === 'position' ? rule.position : rule.offset;
  const min = rule.kind === 'position' ? 0 : -MAX_RULE_OFFSET;
  return Number.isInteger(value) && value >= min && value <= MAX_RULE_OFFSET
    ? null
    : t('{0} must be a whole number from {1} to {2}', amountName, min, MAX_RULE_OFFSET);
}
