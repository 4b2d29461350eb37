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
 */

import { detectHead, rulePattern, strongestKind, summarizeHeads, HEAD_KINDS } from '../../engine';
import { tokenMatcher } from '../../protocol/headRules';
import { describeRule } from '../../presentation/headRuleWords';
import { detectorOfArgs } from '../headRule';
import { parseArgs, UsageError } from '../args';
import { inputEncoding, inputTokenTypes } from '../inputText';
import { table, type Output } from '../output';
import { openModel, TextTooLongError } from './model';
import { isCausal } from '../../engine';

export const HEADS_OPTIONS = { values: ['checkpoint', 'tokenizer', 'text', 'file', 'ids', 'token-types', 'rule', 'method'], flags: ['json', 'allow-special'] };

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
  const enc = inputEncoding(args, tokenizer, { allowSpecial: args.flags.has('allow-special') }, model.config.contextLength);
  const T = enc.ids.length;
  const { nLayers: L, nHeads: H } = model.config;
  // A pattern over one token says nothing (TL refuses it too).
  if (T < 2) throw new UsageError(`the text encodes to ${T} token${T === 1 ? '' : 's'}; head detection needs at least 2`);
  if (T > model.config.contextLength) throw new TextTooLongError(T, model.config.contextLength);
  const r = model.forward(null, enc.ids, 1, T, { tokenTypes: inputTokenTypes(args, T, model.config.tokenTypes ?? 0), capture: { attention: true } });
  const layers = r.layers.map((l, i) => {
    if (!l.attention) throw new Error(`the model returned no attention weights for layer ${i}`);
    return l.attention;
  });
  const causal = isCausal(model.config);
  const s = summarizeHeads(layers, H, enc.ids, { causal });
  const perHead = (a: Float64Array): number[][] => Array.from({ length: L }, (_, l) => Array.from(a.subarray(l * H, (l + 1) * H)));
  let custom: Float64Array | null = null;
  if (detector) {
    const r = detector.rule;
    const rule = r.kind === 'match' ? { kind: r.kind, test: tokenMatcher(r.regex, (id) => tokenizer.tokenLabel(id)) } : r;
    custom = detectHead([{ layers, heads: H, tokens: enc.ids }], rulePattern(rule, enc.ids, causal), { method: detector.method, causal }).scores;
  }

  if (out.json) {
    const scores: Record<string, number[][]> = Object.fromEntries(HEAD_KINDS.map((k) => [k, perHead(s.scores[k])]));
    if (s.nextToken) scores.next_token = perHead(s.nextToken);
    out.jsonLine({
      layers: L,
      heads: H,
      causal,
      scores,
      ...(detector && custom ? { custom: { rule: detector.rule, method: detector.method, scores: perHead(custom) } } : {}),
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
  out.line(
    `${T} tokens, ${L} layers × ${H} heads${causal ? '' : ', bidirectional'}. Scores: share of each head's attention on the pattern (TransformerLens "mul").`,
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
