/**
 * `attention-lens attention`: every attention weight the model computes on a text (or on
 * --ids), [L][H][T][T] with row = query and column = key, plus the tokens with their spans,
 * whether the model is causal (a bidirectional encoder fills the whole matrix), a sequence
 * classifier's predicted label and, with --logits, the logits [T][V].
 */

import { addAt } from '../../engine';
import { parseArgs, UsageError } from '../args';
import { inputEncoding, inputTokenTypes } from '../inputText';
import { table, visibleToken, type Output } from '../output';
import { classificationJson, openModel, TextTooLongError, tokensJson } from './model';
import { hasLmHead, isCausal } from '../../engine';

export const ATTENTION_OPTIONS = { values: ['checkpoint', 'tokenizer', 'text', 'file', 'ids', 'token-types'], flags: ['logits', 'json', 'allow-special'] };

export async function attentionCommand(argv: readonly string[], out: Output): Promise<void> {
  const args = parseArgs(argv, ATTENTION_OPTIONS);
  const { model, tokenizer } = await openModel(args, out);
  const enc = inputEncoding(args, tokenizer, { allowSpecial: args.flags.has('allow-special') }, model.config.contextLength);
  const T = enc.ids.length;
  const { nLayers: L, nHeads: H, vocabSize: V } = model.config;
  if (T === 0) throw new UsageError('the text encodes to no tokens: give a non-empty text');
  if (T > model.config.contextLength) throw new TextTooLongError(T, model.config.contextLength);
  const logits = args.flags.has('logits');
  if (logits && !hasLmHead(model.config))
    throw new UsageError('--logits: this model has no language-model head (a bare encoder or classifier); its output is hidden states');
  const causal = isCausal(model.config);
  const tokenTypes = inputTokenTypes(args, T, model.config.tokenTypes ?? 0);
  const r = model.forward(null, enc.ids, 1, T, { tokenTypes, capture: { attention: true, hidden: model.config.labels !== undefined } });
  const classification = classificationJson(model, r.hidden);

  if (out.json) {
    // Streamed a head (and a logits row) at a time: as one string, [L][H][T][T] of a 12 × 12-head
    // model over 1,024 tokens is beyond V8's longest string ("Invalid string length").
    out.raw(
      `{"token_ids":${JSON.stringify(Array.from(enc.ids))},"tokens":${JSON.stringify(tokensJson(enc))},"layers":${L},"heads":${H},"causal":${causal},"attention":[`,
    );
    r.layers.forEach((layer, l) => {
      const a = layer.attention!;
      for (let h = 0; h < H; h++) {
        const rows: string[] = [];
        for (let q = 0; q < T; q++) rows.push(JSON.stringify(Array.from(a.subarray((h * T + q) * T, (h * T + q + 1) * T))));
        out.raw(`${h === 0 ? (l === 0 ? '[' : ',[') : ','}[${rows.join(',')}]${h === H - 1 ? ']' : ''}`);
      }
    });
    out.raw(']');
    if (classification) out.raw(`,"classification":${JSON.stringify(classification)}`);
    if (logits) {
      out.raw(',"logits":[');
      for (let t = 0; t < T; t++) out.raw(`${t === 0 ? '' : ','}${JSON.stringify(Array.from(r.logits.data.subarray(t * V, (t + 1) * V)))}`);
      out.raw(']');
    }
    out.raw('}\n');
    return;
  }
  // For people: each token's three most-attended tokens (earlier ones, or any for an encoder), averaged over the heads of the last layer.
  const last = r.layers[L - 1]!.attention!;
  const rows = enc.tokens.map((tok, q) => {
    const mean = new Float64Array(causal ? q + 1 : T);
    for (let h = 0; h < H; h++) for (let k = 0; k < mean.length; k++) addAt(mean, k, last[(h * T + q) * T + k]! / H);
    const top = [...mean.keys()].sort((a, b) => mean[b]! - mean[a]!).slice(0, 3);
    return [q, visibleToken(tok.text), top.map((k) => `${visibleToken(enc.tokens[k]!.text)} ${(mean[k]! * 100).toFixed(0)}%`).join(', ')];
  });
  out.line(
    `${T} tokens, ${L} layers × ${H} heads, ${causal ? 'causal' : 'bidirectional (every token sees every token)'}. Most-attended tokens (layer ${L - 1}, mean over heads):`,
  );
  out.line(table(['#', 'token', 'attends to'], rows));
  if (classification) out.line(`Predicted label: ${classification.label} (p = ${classification.probability.toFixed(4)})`);
  out.line('Use --json for every weight.');
}
