/**
 * The dashboard's custom head detector, computed (the `customHeads` view): the page's rule
 * (protocol/headRules.ts) becomes the detection pattern for the window's actual tokens
 * (engine/analysis/rulePatterns.ts), and every head's cached attention is scored against it
 * with TransformerLens's "mul" or "abs" (detectHead).
 *
 * A `match` rule runs a user regex in JavaScript's backtracking engine, here on the worker
 * thread: the request was checked (statically safe, at most MAX_RULE_REGEX_CHARS), each distinct
 * token is matched once, and on at most MAX_MATCHED_TEXT_CHARS of its text, so the cost is
 * bounded by the window's distinct tokens whatever the pattern.
 */

import { detectHead, isCausal, keySetPattern, occurrencePattern, offsetPattern, positionPattern, type Tokenizer } from '../engine';
import type { WindowRef } from '../protocol/common';
import type { CustomHeadScores } from '../protocol/dashboardViews';
import { describeRule, MAX_MATCHED_TEXT_CHARS, ruleRegex, type CustomDetector, type HeadRule } from '../protocol/headRules';
import type { ActiveModel } from './activeModel';
import type { WindowAttention } from './attentionCache';
import { WorkerError } from './errors';

/** Which window tokens a `match` rule's regex accepts, their text being the token's label (what the dashboard shows). */
export function matchingKeys(ids: Int32Array, tokenizer: Tokenizer, source: string): boolean[] {
  const re = ruleRegex(source);
  if (typeof re === 'string') throw new WorkerError('bad-request', re);
  const byId = new Map<number, boolean>();
  return Array.from(ids, (id) => {
    let hit = byId.get(id);
    if (hit === undefined) byId.set(id, (hit = re.test(tokenizer.tokenLabel(id).slice(0, MAX_MATCHED_TEXT_CHARS))));
    return hit;
  });
}

/** The rule's n×n pattern over the window's tokens. */
export function rulePattern(rule: HeadRule, ids: Int32Array, tokenizer: Tokenizer, causal: boolean): Float64Array {
  switch (rule.kind) {
    case 'offset':
      if (causal && rule.offset < 0)
        throw new WorkerError('bad-input', `${describeRule(rule)} is never visible to a causal model (each token sees only the tokens before it)`);
      return offsetPattern(ids.length, rule.offset, causal);
    case 'occurrence':
      return occurrencePattern(ids, rule.offset, causal);
    case 'match':
      return keySetPattern(matchingKeys(ids, tokenizer, rule.regex), causal);
    case 'position':
      return positionPattern(ids.length, rule.position, causal);
  }
}

/** Every head's score against the detector's pattern on this window. */
export function customHeadsView(
  m: ActiveModel,
  win: WindowAttention,
  ids: Int32Array,
  place: WindowRef,
  detector: CustomDetector | undefined,
): CustomHeadScores {
  if (!detector) throw new WorkerError('bad-request', 'the customHeads view needs a detector');
  const { nLayers: layers, nHeads: heads } = m.model.config;
  if (ids.length < 2) throw new WorkerError('bad-input', 'scoring heads needs a window of at least 2 tokens');
  const causal = isCausal(m.model.config);
  const pattern = rulePattern(detector.rule, ids, m.tokenizer, causal);
  let cells = 0;
  for (const v of pattern) cells += v;
  const d = detectHead([{ layers: win.weights, heads, tokens: ids }], pattern, {
    method: detector.method,
    excludeBos: detector.excludeBos,
    excludeCurrentToken: detector.excludeCurrentToken,
    causal,
  });
  return { ...place, detector, layers, heads, scores: Float32Array.from(d.scores), cells };
}
