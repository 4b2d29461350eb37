/**
 * `attention-lens attention`: every attention weight the model computes on a text,
 * [L][H][T][T] with row = query and column = key, plus the tokens with their spans and,
 * with --logits, the next-token logits [T][V].
 */

import { parseArgs, UsageError } from '../args';
import { inputText } from '../inputText';
import { table, visibleToken, type Output } from '../output';
import { encodeWithinContext, openModel, tokensJson } from './model';

export const ATTENTION_OPTIONS = { values: ['checkpoint', 'tokenizer', 'text', 'file'], flags: ['logits', 'json', 'allow-special'] };

export async function attentionCommand(argv: readonly string[], out: Output): Promise<void> {
  const args = parseArgs(argv, ATTENTION_OPTIONS);
  const { model, tokenizer } = await openModel(args, out);
  const enc = encodeWithinContext(tokenizer, inputText(args), model.config.contextLength, { allowSpecial: args.flags.has('allow-special') });
  const T = enc.ids.length;
  const { nLayers: L, nHeads: H, vocabSize: V } = model.config;
  if (T === 0) throw new UsageError('the text encodes to no tokens: give a non-empty text');
  const r = model.forward(null, enc.ids, 1, T, { capture: { attention: true } });

  if (out.json) {
    // Streamed a head (and a logits row) at a time: as one string, [L][H][T][T] of a 12 × 12-head
    // model over 1,024 tokens is beyond V8's longest string ("Invalid string length").
    out.raw(`{"token_ids":${JSON.stringify(Array.from(enc.ids))},"tokens":${JSON.stringify(tokensJson(enc))},"layers":${L},"heads":${H},"attention":[`);
    r.layers.forEach((layer, l) => {
      const a = layer.attention!;
      for (let h = 0; h < H; h++) {
        const rows: string[] = [];
        for (let q = 0; q < T; q++) rows.push(JSON.stringify(Array.from(a.subarray((h * T + q) * T, (h * T + q + 1) * T))));
        out.raw(`${h === 0 ? (l === 0 ? '[' : ',[') : ','}[${rows.join(',')}]${h === H - 1 ? ']' : ''}`);
      }
    });
    out.raw(']');
    if (args.flags.has('logits')) {
      out.raw(',"logits":[');
      for (let t = 0; t < T; t++) out.raw(`${t === 0 ? '' : ','}${JSON.stringify(Array.from(r.logits.data.subarray(t * V, (t + 1) * V)))}`);
      out.raw(']');
    }
    out.raw('}\n');
    return;
  }
  // For people: each token's three most-attended earlier tokens, averaged over the heads of the last layer.
  const last = r.layers[L - 1]!.attention!;
  const rows = enc.tokens.map((tok, q) => {
    const mean = new Float64Array(q + 1);
    for (let h = 0; h < H; h++) for (let k = 0; k <= q; k++) mean[k] += last[(h * T + q) * T + k]! / H;
    const top = [...mean.keys()].sort((a, b) => mean[b]! - mean[a]!).slice(0, 3);
    return [q, visibleToken(tok.text), top.map((k) => `${visibleToken(enc.tokens[k]!.text)} ${(mean[k]! * 100).toFixed(0)}%`).join(', ')];
  });
  out.line(`${T} tokens, ${L} layers × ${H} heads. Most-attended tokens (layer ${L - 1}, mean over heads):`);
  out.line(table(['#', 'token', 'attends to'], rows));
  out.line('Use --json for every weight.');
}
