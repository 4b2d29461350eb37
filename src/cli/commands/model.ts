/**
 * What the model-reading commands share: opening --checkpoint (+ --tokenizer) and turning
 * an encoding into the `tokens` array of the JSON contract.
 */

import type { Encoding } from '../../engine/tokenizer/tokenizer';
import { loadModel, type LoadedModel } from '../../node/loadModel';
import { requiredValue, type ParsedArgs } from '../args';

export function openModel(args: ParsedArgs): Promise<LoadedModel> {
  return loadModel(requiredValue(args, 'checkpoint'), args.values.get('tokenizer'));
}

export function tokensJson(enc: Encoding): { id: number; text: string; start: number; end: number }[] {
  return enc.tokens.map((t) => ({ id: t.id, text: t.text, start: t.start, end: t.end }));
}

export class TextTooLongError extends RangeError {
  constructor(tokens: number, context: number) {
    super(`the text is ${tokens} tokens long; this model reads at most ${context} tokens at once`);
    this.name = 'TextTooLongError';
  }
}
