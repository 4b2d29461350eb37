/**
 * What the model-reading commands share: opening --checkpoint (+ --tokenizer) and turning
 * an encoding into the `tokens` array of the JSON contract.
 */

import { classifySequence, type EncodeOptions, type Encoding, type Tokenizer, type Transformer } from '../../engine';
import { loadModel, type LoadedModel } from '../../node/loadModel';
import { requiredValue, type ParsedArgs } from '../args';
import { loadLine, type LineStream } from '../loadLine';
import type { Output } from '../output';

/** Loads --checkpoint (+ --tokenizer); with `out`, a large load shows its progress on a terminal's stderr (loadLine.ts). */
export async function openModel(args: ParsedArgs, out?: Output, stderr: LineStream = process.stderr): Promise<LoadedModel> {
  const checkpoint = requiredValue(args, 'checkpoint');
  const line = loadLine(checkpoint, stderr, !out || out.json);
  try {
    return await loadModel(checkpoint, args.values.get('tokenizer'), { onProgress: line.onProgress });
  } finally {
    line.end();
  }
}

export function tokensJson(enc: Encoding): { id: number; text: string; start: number; end: number }[] {
  return enc.tokens.map((t) => ({ id: t.id, text: t.text, start: t.start, end: t.end }));
}

/** A sequence classifier's verdict for the JSON contracts ({label, label_id, probability, logits}), or null for other models. */
export function classificationJson(
  model: Transformer,
  hidden: readonly Float32Array[],
): { label: string; label_id: number; probability: number; logits: number[] } | null {
  const last = hidden[model.config.nLayers];
  if (!model.config.labels || !last) return null;
  const c = classifySequence(model, last);
  return { label: c.label, label_id: c.labelIndex, probability: c.probability, logits: Array.from(c.logits) };
}

export class TextTooLongError extends RangeError {
  /** `reads` is the clause naming the bound (default: the model's context of `limit` tokens). */
  constructor(tokens: number, limit: number, prefixChars?: number, reads = `the model reads at most ${limit} tokens at once`) {
    super(
      prefixChars === undefined
        ? `the text is ${tokens} tokens long; ${reads}`
        : `the text is too long: its first ${prefixChars} characters are already ${tokens} tokens, and ${reads}`,
    );
    this.name = 'TextTooLongError';
  }
}

/**
 * Characters per token of the prefixes probed before encoding a whole text, shortest first:
 * real vocabularies' tokens are far shorter than 256 characters, and a character tokenizer is
 * caught by the first probe, at the cost of encoding 4 characters per allowed token.
 */
const PROBE_CHARS_PER_TOKEN = [4, 16, 64, 256];

/**
 * The text's encoding, refused when longer than `limit` tokens — checked on growing prefixes
 * first, so a 60 MB text costs the encoding of a few times the limit, not gigabytes of token
 * objects. `reads` names the bound in the message (default: the model's context).
 */
export function encodeWithinContext(tokenizer: Tokenizer, text: string, limit: number, options: EncodeOptions = {}, reads?: string): Encoding {
  for (const perToken of PROBE_CHARS_PER_TOKEN) {
    const probeLength = (limit + 1) * perToken;
    if (text.length <= probeLength) break;
    let cut = probeLength;
    const c = text.charCodeAt(cut - 1);
    if (c >= 0xd800 && c <= 0xdbff) cut++; // never split a surrogate pair
    const probe = tokenizer.encode(text.slice(0, cut), options);
    if (probe.ids.length > limit) throw new TextTooLongError(probe.ids.length, limit, cut, reads);
  }
  const enc = tokenizer.encode(text, options);
  if (enc.ids.length > limit) throw new TextTooLongError(enc.ids.length, limit, undefined, reads);
  return enc;
}
