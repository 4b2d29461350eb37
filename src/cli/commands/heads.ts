/**
 * `attention-lens heads`: what kind of head each layer × head is on a given text — TL's "mul"
 * score (default options) against the previous-token, duplicate-token, induction, first-token
 * and current-token patterns. With --json it is the stable contract
 * `{"layers", "heads", "scores": {kind: [L][H]}}`; for people a table that also shows each
 * head's normalised entropy, how many keys hold 90 % of its attention, and its strongest kind.
 * The JSON says whether the model is causal; a bidirectional one (BERT) also gets next_token
 * scores and two-sided patterns (engine/analysis/patterns.ts).
 */

import { strongestKind, summarizeHeads, HEAD_KINDS } from '../../engine';
import { parseArgs, UsageError } from '../args';
import { inputEncoding, inputTokenTypes } from '../inputText';
import { table, type Output } from '../output';
import { openModel, TextTooLongError } from './model';
import { isCausal } from '../../engine';

export const HEADS_OPTIONS = { values: ['checkpoint', 'tokenizer', 'text', 'file', 'ids', 'token-types'], flags: ['json', 'allow-special'] };

const SHORT: Record<(typeof HEAD_KINDS)[number], string> = {
  previous_token: 'prev',
  duplicate_token: 'dup',
  induction: 'induct',
  first_token: 'first',
  current_token: 'self',
};

export async function headsCommand(argv: readonly string[], out: Output): Promise<void> {
  const args = parseArgs(argv, HEADS_OPTIONS);
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

  if (out.json) {
    const scores: Record<string, number[][]> = Object.fromEntries(HEAD_KINDS.map((k) => [k, perHead(s.scores[k])]));
    if (s.nextToken) scores.next_token = perHead(s.nextToken);
    out.jsonLine({ layers: L, heads: H, causal, scores });
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
      rows.push([`${l}.${h}`, ...HEAD_KINDS.map((k) => f3(s.scores[k][i]!)), ...next, f3(s.entropy[i]!), s.keys90[i]!.toFixed(1), kind]);
    }
  }
  out.line(
    `${T} tokens, ${L} layers × ${H} heads${causal ? '' : ', bidirectional'}. Scores: share of each head's attention on the pattern (TransformerLens "mul").`,
  );
  out.line(table(['head', ...HEAD_KINDS.map((k) => SHORT[k]), ...(s.nextToken ? ['next'] : []), 'entropy', 'keys@90%', 'strongest'], rows));
  out.line('entropy: 0 = one key, 1 = uniform over the keys a row can see. Use --json for the scores alone.');
}
