/**
 * The dashboard's custom head detector, computed (the `customHeads` view): the page's rule
 * (protocol/headRules.ts) becomes the detection pattern for the window's actual tokens
 * (engine/analysis/rulePatterns.ts), and every head's cached attention is scored against it
 * with TransformerLens's "mul" or "abs" (detectHead).
 *
 * A `match` rule runs a user regex in JavaScript's backtracking engine, here on the worker
 * thread: the request was checked (statically safe, at most MAX_RULE_REGEX_CHARS), each distinct
 * token is matched once, and on at most MAX_MATCHED_TEXT_CHARS of its text (tokenMatcher), so
 * the cost is bounded by the window's distinct tokens whatever the pattern.
 */

import { detectHead, isCausal, rulePattern, type PatternRule, type Tokenizer } from '../engine';
import type { WindowRef } from '../protocol/common';
import type { CustomHeadScores } from '../protocol/dashboardViews';
import { tokenMatcher, type CustomDetector, type HeadRule } from '../protocol/headRules';
import type { ActiveModel } from './activeModel';
import type { WindowAttention } from './attentionCache';
import { WorkerError } from './errors';

/** The engine's form of a rule: a regex becomes a test of token ids, on their text as the dashboard labels them. */
export function patternRule(rule: HeadRule, tokenizer: Tokenizer): PatternRule {
  return rule.kind === 'match' ? { kind: 'match', test: tokenMatcher(rule.regex, (id) => tokenizer.tokenLabel(id)) } : rule;
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
  const pattern = rulePattern(patternRule(detector.rule, m.tokenizer), ids, causal);
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
