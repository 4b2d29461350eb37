/** `attention-lens info`: what a checkpoint holds — architecture, sizes, parameters, tokenizer. */

import { hasLmHead, isCausal, parameterCount, weightMemory } from '../../engine';
import { parseArgs } from '../args';
import { table, type Output } from '../output';
import { openModel } from './model';

export const INFO_OPTIONS = { values: ['checkpoint', 'tokenizer'], flags: ['json'] };

export async function infoCommand(argv: readonly string[], out: Output): Promise<void> {
  const args = parseArgs(argv, INFO_OPTIONS);
  const loaded = await openModel(args, out);
  const { model, tokenizer, format, training } = loaded;
  const c = model.config;
  // F16/BF16 checkpoints keep their matrices 16-bit in memory: say what the weights take as held.
  const memory = weightMemory(model.params.values());
  const info = {
    architecture: c.architecture,
    layers: c.nLayers,
    heads: c.nHeads,
    kv_heads: c.nKvHeads,
    d_model: c.dModel,
    context: c.contextLength,
    vocab_size: c.vocabSize,
    parameters: parameterCount(c),
    weights_dtype: memory.byDtype.map((d) => d.dtype).join('+'),
    weights_bytes: memory.bytes,
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
    ...Object.entries(info).map(([k, v]) => [k.replace(/_/g, ' '), k === 'weights_bytes' ? megabytes(memory.bytes) : v] as [string, string | number]),
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

/** Bytes as "12.3 MB" (decimal megabytes, as file sizes are shown). */
function megabytes(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(1)} kB`;
}
