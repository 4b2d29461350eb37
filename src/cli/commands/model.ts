/**
 * What the model-reading commands share: opening --checkpoint (+ --tokenizer) and turning
 * an encoding into the `tokens` array of the JSON contract.
 */

import { classifySequence, type Transformer, type Encoding } from '../../engine';
import { loadModel, type LoadedModel } from '../../node/loadModel';
import { requiredValue, type ParsedArgs } from '../args';
import type { Output } from '../output';

/** Loads --checkpoint (+ --tokenizer); with `out`, large loads show a progress bar for people. */
export async function openModel(args: ParsedArgs, out?: Output): Promise<LoadedModel> {
  const MB = 1024 * 1024;
  try {
    return await loadModel(requiredValue(args, 'checkpoint'), args.values.get('tokenizer'), {
      onProgress: out && !out.json
        ? (p) => {
            if (p.total >= 16 * MB) out.progress(Math.round(p.done / MB), Math.round(p.total / MB), p.phase === 'read' ? 'MB read' : 'MB converted');
          }
        : undefined,
    });
  } finally {
    out?.endProgress();
  }
}

export function tokensJson(enc: Encoding): { id: number; text: string; start: number; end: number }[] {
  return enc.tokens.map((t) => ({ id: t.id, text: t.text, start: t.start, end: t.end }));
}

/** A sequence classifier's verdict for the JSON contracts ({label, label_id, probability, logits}), or null for other models. */
export function classificationJson(model: Transformer, hidden: readonly Float32Array[]): { label: string; label_id: number; probability: number; logits: number[] } | null {
  const last = hidden[model.config.nLayers];
  if (!model.config.labels || !last) return null;
  const c = classifySequence(model, last);
  return { label: c.label, label_id: c.labelIndex, probability: c.probability, logits: Array.from(c.logits) };
}

export class TextTooLongError extends RangeError {
  constructor(tokens: number, context: number) {
    super(`the text is ${tokens} tokens long; this model reads at most ${context} tokens at once`);
    this.name = 'TextTooLongError';
  }
}
