/**
 * `attention-lens heads --rule …`: the dashboard's custom head detector on the command line.
 * The rule is written `offset:K` (the token K back), `copy:K` (an earlier copy of the token,
 * shifted by K: 0 duplicate, 1 induction), `match:REGEX` (tokens whose text matches) or
 * `position:P`, and checked exactly as the dashboard's is (protocol/headRules.ts): bounded
 * numbers, a short and statically safe regex.
 */

import { checkedDetector, type CustomDetector } from '../protocol/headRules';
import { validated } from '../protocol/validation';
import { UsageError } from './args';

const KINDS: Record<string, 'offset' | 'occurrence' | 'position' | 'match'> = { offset: 'offset', copy: 'occurrence', position: 'position', match: 'match' };

/** The detector of `--rule` and `--method` (mul when absent). */
export function detectorOfArgs(rule: string, method: string | undefined): CustomDetector {
  const colon = rule.indexOf(':');
  const kind = KINDS[colon < 0 ? '' : rule.slice(0, colon)];
  if (!kind) throw new UsageError(`--rule must be offset:K, copy:K, match:REGEX or position:P, got ${JSON.stringify(rule)}`);
  const value = rule.slice(colon + 1);
  if (kind !== 'match' && !/^[+-]?\d+$/.test(value))
    throw new UsageError(`--rule ${rule}: ${kind === 'position' ? 'P' : 'K'} must be a whole number, got ${JSON.stringify(value)}`);
  const whole = Number(value);
  const raw = kind === 'match' ? { kind, regex: value } : kind === 'position' ? { kind, position: whole } : { kind, offset: whole };
  const v = validated(() => checkedDetector({ rule: raw, method: method ?? 'mul', excludeBos: false, excludeCurrentToken: false }));
  if (!v.ok) throw new UsageError(`--rule ${rule}${method ? ` --method ${method}` : ''}: ${v.reason.replace(/^rule: /, '')}`);
  return v.value;
}
