/**
 * `attention-lens attention`: every attention weight the model computes on a text (or on
 * --ids), [L][H][T][T] with row = query and column = key, plus the tokens with their spans,
 * whether the model is causal (a bidirectional encoder fills the whole matrix), a sequence
 * classifier's predicted label and, with --logits, the logits [T][V]. A text longer than the
 * model's context is read in the editor's sliding windows (attentionWindows.ts), listed in the
 * JSON as `windows`.
 */

import { addAt, hasLmHead } from '../../engine';
import { intOption, parseArgs, UsageError } from '../args';
import { inputEncoding, inputTokenTypes } from '../inputText';
import { table, visibleToken, type Output } from '../output';
import { attentionInWindows, maxAttentionTokens } from './attentionWindows';
import { classificationJson, openModel, TextTooLongError, tokensJson } from './model';

export const ATTENTION_OPTIONS = {
  values: ['checkpoint', 'tokenizer', 'text', 'file', 'ids', 'token-types', 'stride'],
  flags: ['logits', 'json', 'allow-special'],
};

export async function attentionCommand(argv: readonly string[], out: Output): Promise<void> {
  const args = parseArgs(argv, ATTENTION_OPTIONS);
  const { model, tokenizer } = await openModel(args, out);
  const { nLayers: L, nHeads: H, contextLength: C } = model.config;
  // A text longer than the context is read in sliding windows; what bounds it is the [L,H,T,T] tensor written out.
  const maxTokens = maxAttentionTokens(L, H);
  const bound = `attention writes [L,H,T,T] = ${L}×${H}×T×T weights, at most ${maxTokens} tokens for this model`;
  const enc = inputEncoding(args, tokenizer, { allowSpecial: args.flags.has('allow-special') }, maxTokens, bound);
  const T = enc.ids.length;
  if (T === 0) throw new UsageError('the text encodes to no tokens: give a non-empty text');
  if (T > maxTokens) throw new TextTooLongError(T, maxTokens, undefined, bound);
  const stride = intOption(args, 'stride', 1, C) ?? 0;
  const logits = args.flags.has('logits');
  if (logits && !hasLmHead(model.config))
    throw new UsageError('--logits: this model has no language-model head (a bare encoder or classifier); its output is hidden states');
  const tokenTypes = inputTokenTypes(args, T, model.config.tokenTypes ?? 0);
  const classifier = model.config.labels !== undefined;
  if (classifier && T > C) throw new UsageError(`this model classifies a whole sequence of at most ${C} tokens; the text is ${T} tokens long`);
  const run = attentionInWindows(model, enc.ids, {
    stride,
    logits,
    hidden: classifier,
    tokenTypes,
    onWindow: (done, total) => total > 1 && out.progress(done, total, 'windows'),
  });
  out.endProgress();
  const causal = run.plan.causal;
  const classification = classifier ? classificationJson(model, run.windows[0]!.hidden) : null;

  if (out.json) {
    // Streamed a head (and a logits row) at a time: as one string, [L][H][T][T] of a 12 × 12-head
    // model over 1,024 tokens is beyond V8's longest string ("Invalid string length").
    out.raw(
      `{"token_ids":${JSON.stringify(Array.from(enc.ids))},"tokens":${JSON.stringify(tokensJson(enc))},"layers":${L},"heads":${H},"causal":${causal},` +
        `"context":${C},"stride":${run.plan.stride},"windows":${JSON.stringify(run.windowsJson)},"attention":[`,
    );
    for (let l = 0; l < L; l++) {
      for (let h = 0; h < H; h++) {
        const rows: string[] = [];
        for (let q = 0; q < T; q++) rows.push(JSON.stringify(Array.from(run.row(l, h, q))));
        out.raw(`${h === 0 ? (l === 0 ? '[' : ',[') : ','}[${rows.join(',')}]${h === H - 1 ? ']' : ''}`);
      }
    }
    out.raw(']');
    if (classification) out.raw(`,"classification":${JSON.stringify(classification)}`);
    if (logits) {
      out.raw(',"logits":[');
      for (let t = 0; t < T; t++) out.raw(`${t === 0 ? '' : ','}${JSON.stringify(Array.from(run.logitsRow(t)))}`);
      out.raw(']');
    }
    out.raw('}\n');
    return;
  }
  // For people: each token's three most-attended tokens (earlier ones, or any for an encoder), averaged over the heads of the last layer.
  const rows = enc.tokens.map((tok, q) => {
    const mean = new Float64Array(T);
    for (let h = 0; h < H; h++) {
      const row = run.row(L - 1, h, q);
      for (let k = 0; k < T; k++) addAt(mean, k, row[k]! / H);
    }
    const keys = [...mean.keys()].filter((k) => !causal || k <= q);
    const top = keys.sort((a, b) => mean[b]! - mean[a]!).slice(0, 3);
    return [q, visibleToken(tok.text), top.map((k) => `${visibleToken(enc.tokens[k]!.text)} ${(mean[k]! * 100).toFixed(0)}%`).join(', ')];
  });
  const windows = run.windows.length;
  out.line(
    `${T} tokens, ${L} layers × ${H} heads, ${causal ? 'causal' : 'bidirectional (every token sees every token)'}` +
      (windows > 1 ? `, read in ${windows} windows of ${C} tokens, ${run.plan.stride} apart` : '') +
      `. Most-attended tokens (layer ${L - 1}, mean over heads):`,
  );
  out.line(table(['#', 'token', 'attends to'], rows));
  if (classification) out.line(`Predicted label: ${classification.label} (p = ${classification.probability.toFixed(4)})`);
  out.line('Use --json for every weight.');
}
