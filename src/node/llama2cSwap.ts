/**
 * Recognises the two llama2.c files given the wrong way round — the tokenizer `.bin` picked as the
 * model, or the model `.bin` as the tokenizer — so the message says so ("this looks like a
 * llama2.c tokenizer, not a model") instead of the parser's complaint about a header field or a
 * record with a NUL byte. Only asked after the expected parse failed: each check is the other
 * parser, run on the same bytes.
 */

import { Llama2cTokenizer, parseLlama2cCheckpoint } from '../engine';

/** "a llama2.c tokenizer of 512 tokens" when `bytes` parse as one, else null. */
export function describeAsLlama2cTokenizer(bytes: Uint8Array): string | null {
  try {
    const t = Llama2cTokenizer.fromBytes(bytes);
    return t.vocabSize > 0 ? `a llama2.c tokenizer (${t.vocabSize} tokens)` : null;
  } catch {
    return null;
  }
}

/** "a llama2.c model (5 layers, vocabulary 512)" when `bytes` parse as one, else null. */
export function describeAsLlama2cModel(bytes: Uint8Array): string | null {
  try {
    const c = parseLlama2cCheckpoint(bytes).config;
    return `a llama2.c model (${c.nLayers} layers × ${c.nHeads} heads, vocabulary ${c.vocabSize})`;
  } catch {
    return null;
  }
}
