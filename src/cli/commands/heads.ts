/**
 * `attention-lens heads`: what kind of head each layer × head is on a given text — TL's "mul"
 * score (default options) against the previous-token, duplicate-token, induction, first-token
 * and current-token patterns. With --json it is the stable contract
 * `{"layers", "heads", "scores": {kind: [L][H]}}`; for people a table that also shows each
 * head's normalised entropy, how many keys hold 90 % of its attention, and its strongest kind.
 * The JSON says whether the model is causal; a bidirectional one (BERT) also gets next_token
 * scores and two-sided patterns (engine/analysis/patterns.ts).
 *
 * `--rule` (with `--method mul|abs`) also scores every head against a custom detector, as the
 * dashboard's: the JSON then has `"custom": {"rule", "method", "scores": [L][H]}`, the table a
 * `rule` column.
 *
 * A text longer than the model's context is scored in the sliding windows the other commands
 * read it in (`--stride`; headsWindows.ts): each score is the mean of the windows' scores weighted
 * by their query positions, and the JSON adds "stride" and "windows" as `surprisal` does.
 */

import { strongestKind, HEAD_KINDS, HeadPatternError, rulePattern } from '../../engine';
import { tokenMatcher } from '../../protocol/headRules';
import { windowCount } from '../../protocol/contextWindows';
import { describeRule } from '../../presentation/headRuleWords';
import { detectorOfArgs } from '../headRule';
import { parseArgs, UsageError } from '../args';
import { inputEncoding, inputTokenTypes } from '../inputText';
import { table, type Output } from '../output';
import { analysisPlan, MAX_ANALYSIS_TOKENS, windowsJson } from './analysisWindows';
import { headsInWindows } from './headsWindows';
import { openModel, TextTooLongError } from './model';

export const HEADS_OPTIONS = {
  values: ['checkpoint', 'tokenizer', 'text', 'file', 'ids', 'token-types', 'rule', 'method', 'stride'],
  flags: ['json', 'allow-special'],
};

const SHORT: Record<(typeof HEAD_KINDS)[number], string> = {
  previous_token: 'prev',
  duplicate_token: 'dup',
  induction: 'induct',
  first_token: 'first',
  current_token: 'self',
};

export async function headsCommand(argv: readonly string[], out: Output): Promise<void> {
  const args = parseArgs(argv, HEADS_OPTIONS);
  const ruleArg = args.values.get('rule');
  if (!ruleArg && args.values.has('method')) throw new UsageError('--method applies to --rule; the named detectors are scored with "mul"');
  // Checked before the model is read: a bad rule is a usage error, however large the checkpoint.
  const detector = ruleArg === undefined ? null : detectorOfArgs(ruleArg, args.values.get('method'));
  const { model, tokenizer } = await openModel(args, out);
  const C = model.config.contextLength;
  const reads = `heads reads at most ${MAX_ANALYSIS_TOKENS} tokens (in windows of ${C})`;
  // The bound is checked on a prefix first: a 60 MB text is not encoded whole to be refused.
  const enc = inputEncoding(args, tokenizer, { allowSpecial: args.flags.has('allow-special') }, MAX_ANALYSIS_TOKENS, reads);
  const T = enc.ids.length;
  const { nLayers: L, nHeads: H } = model.config;
  // A pattern over one token says nothing (TL refuses it too).
  if (T < 2) throw new UsageError(`the text encodes to ${T} token${T === 1 ? '' : 's'}; head detection needs at least 2`);
  if (T > MAX_ANALYSIS_TOKENS) throw new TextTooLongError(T, MAX_ANALYSIS_TOKENS, undefined, reads);
  const plan = analysisPlan(model, T, args);
  const causal = plan.causal;
  const scoring = detector && {
    rule:
      detector.rule.kind === 'match' ? { kind: 'match' as const, test: tokenMatcher(detector.rule.regex, (id) => tokenizer.tokenLabel(id)) } : detector.rule,
    method: detector.method,
  };
  // A rule that cannot fit this model (a key ahead under the causal mask) is a usage error, found before any window runs.
  if (scoring) {
    try {
      rulePattern(scoring.rule, [0, 0], causal);
    } catch (e) {
      throw e instanceof HeadPatternError ? new UsageError(`--rule ${ruleArg}: ${e.message}`) : e;
    }
  }
  const tokenTypes = inputTokenTypes(args, T, model.config.tokenTypes ?? 0);
  const scored = headsInWindows(model, enc.ids, plan, tokenTypes, scoring, out);
  const s = scored.summary;
  const custom = scored.custom;
  const windows = windowCount(plan);
  const perHead = (a: Float64Array): number[][] => Array.from({ length: L }, (_, l) => Array.from(a.subarray(l * H, (l + 1) * H)));

  if (out.json) {
    const scores: Record<string, number[][]> = Object.fromEntries(HEAD_KINDS.map((k) => [k, perHead(s.scores[k])]));
    if (s.nextToken) scores.next_token = perHead(s.nextToken);
    out.jsonLine({
      layers: L,
      heads: H,
      causal,
      scores,
      ...(detector && custom ? { custom: { rule: detector.rule, method: detector.method, scores: perHead(custom) } } : {}),
      ...(windows > 1 ? { stride: plan.stride, windows: windowsJson(plan) } : {}),
    });
    return;
  }
  // Fixed decimals line the columns up (the table's own number format varies the precision).
  const f3 = (x: number): string => x.toFixed(3);
  const rows = [];
  for (let l = 0; l < L; l++) {
    for (let h = 0; h < H; h++) {
      const i = l * H + h;
      const best = strongestKind(s, i);
      const next = s.nextToken ? [f3(s.nextToken[i]!)] : [];
      const kind = s.nextToken && s.nextToken[i]! > best.score ? 'next-token' : best.kind.replace('_', '-');
      const rule = custom ? [f3(custom[i]!)] : [];
      rows.push([`${l}.${h}`, ...HEAD_KINDS.map((k) => f3(s.scores[k][i]!)), ...next, ...rule, f3(s.entropy[i]!), s.keys90[i]!.toFixed(1), kind]);
    }
  }
  const read =
    windows > 1 ? `, read in ${windows} windows of ${plan.context} tokens, ${plan.stride} apart (each score: the windows' mean, weighted by their tokens)` : '';
  out.line(
    `${T} tokens${read}, ${L} layers × ${H} heads${causal ? '' : ', bidirectional'}. Scores: share of each head's attention on the pattern (TransformerLens "mul").`,
  );
  if (detector) out.line(`rule: attending to ${describeRule(detector.rule)} (TransformerLens "${detector.method}").`);
  out.line(
    table(
      ['head', ...HEAD_KINDS.map((k) => SHORT[k]), ...(s.nextToken ? ['next'] : []), ...(detector ? ['rule'] : []), 'entropy', 'keys@90%', 'strongest'],
      rows,
    ),
  );
  out.line('entropy: 0 = one key, 1 = uniform over the keys a row can see. Use --json for the scores alone.');
}
