/**
 * `attention-lens attention`: every attention weight the model computes on a text,
 * [L][H][T][T] with row = query and column = key, plus the tokens with their spans and,
 * with --logits, the next-token logits [T][V].
 */

import { addAt } from '../../engine';
import { parseArgs, UsageError } from '../args';
import { inputText } from '../inputText';
import { table, visibleToken, type Output } from '../output';
import { openModel, TextTooLongError, tokensJson } from './model';

export const ATTENTION_OPTIONS = { values: ['checkpoint', 'tokenizer', 'text', 'file'], flags: ['logits', 'json', 'allow-special'] };

export async function attentionCommand(argv: readonly string[], out: Output): Promise<void> {
  const args = parseArgs(argv, ATTENTION_OPTIONS);
  const { model, tokenizer } = await openModel(args, out);
  const enc = tokenizer.encode(inputText(args), { allowSpecial: args.flags.has('allow-special') });
  const T = enc.ids.length;
  const { nLayers: L, nHeads: H, vocabSize: V } = model.config;
  if (T === 0) throw new UsageError('the text encodes to no tokens: give a non-empty text');
  if (T > model.config.contextLength) throw new TextTooLongError(T, model.config.contextLength);
  const r = model.forward(null, enc.ids, 1, T, { capture: { attention: true } });

  if (out.json) {
    const attention = r.layers.map((layer) =>
      Array.from({ length: H }, (_, h) => Array.from({ length: T }, (_, q) => Array.from(layer.attention!.subarray((h * T + q) * T, (h * T + q + 1) * T)))),
    );
    const result: Record<string, unknown> = { token_ids: Array.from(enc.ids), tokens: tokensJson(enc), layers: L, heads: H, attention };
    if (args.flags.has('logits')) result.logits = Array.from({ length: T }, (_, t) => Array.from(r.logits.data.subarray(t * V, (t + 1) * V)));
    out.jsonLine(result);
    return;
  }
  // For people: each token's three most-attended earlier tokens, averaged over the heads of the last layer.
  const last = r.layers[L - 1]!.attention!;
  const rows = enc.tokens.map((tok, q) => {
    const mean = new Float64Array(q + 1);
    for (let h = 0; h < H; h++) for (let k = 0; k <= q; k++) addAt(mean, k, last[(h * T + q) * T + k]! / H);
    const top = [...mean.keys()].sort((a, b) => mean[b]! - mean[a]!).slice(0, 3);
    return [q, visibleToken(tok.text), top.map((k) => `${visibleToken(enc.tokens[k]!.text)} ${(mean[k]! * 100).toFixed(0)}%`).join(', ')];
  });
  out.line(`${T} tokens, ${L} layers × ${H} heads. Most-attended tokens (layer ${L - 1}, mean over heads):`);
  out.line(table(['#', 'token', 'attends to'], rows));
  out.line('Use --json for every weight.');
}
