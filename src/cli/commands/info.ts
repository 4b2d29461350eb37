/** `attention-lens info`: what a checkpoint holds — architecture, sizes, parameters, tokenizer. */

import { hasLmHead, isCausal, parameterCount } from '../../engine';
import { parseArgs } from '../args';
import { table, type Output } from '../output';
import { openModel } from './model';

export const INFO_OPTIONS = { values: ['checkpoint', 'tokenizer'], flags: ['json'] };

export async function infoCommand(argv: readonly string[], out: Output): Promise<void> {
  const args = parseArgs(argv, INFO_OPTIONS);
  const loaded = await openModel(args, out);
  const { model, tokenizer, format, training } = loaded;
  const c = model.config;
  const info = {
    architecture: c.architecture,
    layers: c.nLayers,
    heads: c.nHeads,
    kv_heads: c.nKvHeads,
    d_model: c.dModel,
    context: c.contextLength,
    vocab_size: c.vocabSize,
    parameters: parameterCount(c),
    tokenizer: tokenizer.kind === 'ids' ? 'none (token ids only: --ids)' : `${tokenizer.kind} (${tokenizer.vocabSize} tokens)`,
    causal: isCausal(c),
    lm_head: hasLmHead(c),
    ...(c.labels ? { labels: [...c.labels] } : {}),
  };
  if (out.json) {
    out.jsonLine(info);
    return;
  }
  const rows: [string, string | number][] = [
    ['format', loaded.description ? `${format}: ${loaded.description}` : format],
    ...Object.entries(info).map(([k, v]) => [k.replace(/_/g, ' '), v] as [string, string | number]),
    [
      'norm / positions / mlp',
      `${c.norm}${c.normPlacement === 'post' ? ' (post)' : ''} / ${c.positional}${c.positional === 'rope' ? ` (${c.ropeStyle}${c.rotaryDims ? `, ${c.rotaryDims} of ${c.dModel / c.nHeads} dims` : ''}, θ=${c.ropeTheta})` : ''}${c.tokenTypes ? ` + ${c.tokenTypes} token types` : ''} / ${c.mlp}${c.gelu === 'erf' ? ' (erf)' : ''}${c.parallelResidual ? ', parallel residual' : ''}`,
    ],
    ['attention', c.attentionMode],
  ];
  if (training) rows.push(['trained steps', `${training.state.step} of ${training.options.steps}`]);
  for (const note of loaded.notes ?? []) rows.push(['note', note]);
  out.line(
    table(
      ['field', 'value'],
      rows.map(([k, v]) => [k, String(v)]),
    ),
  );
}
