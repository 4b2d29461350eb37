/**
 * A custom head detector's rule (protocol/headRules.ts) in words, for the dashboard's notes and
 * the CLI's `heads --rule` line ("the token 2 back", "tokens matching /^ [A-Z]/"). English by
 * default (the CLI, and the dashboard's CSV column, which is data); the page passes its t().
 */

import type { HeadRule } from '../protocol/headRules';
import { english, type Translate } from './localize';

export function describeRule(r: HeadRule, tr: Translate = english): string {
  switch (r.kind) {
    case 'offset':
      if (r.offset === 0) return tr('the token itself');
      if (r.offset > 0) return r.offset === 1 ? tr('the previous token') : tr('the token {0} back', r.offset);
      return r.offset === -1 ? tr('the next token') : tr('the token {0} ahead', -r.offset);
    case 'occurrence':
      if (r.offset === 0) return tr('an earlier copy of the token');
      return r.offset > 0
        ? tr('the token {0} after an earlier copy of the token', r.offset)
        : tr('the token {0} before an earlier copy of the token', -r.offset);
    case 'match':
      return tr('tokens matching /{0}/', r.regex);
    case 'position':
      return r.position === 0 ? tr('the first token (position 0)') : tr('window position {0}', r.position);
  }
}
