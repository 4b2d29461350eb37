/**
 * Rebuilds a tokenizer from the JSON a native checkpoint stores in its metadata. Only
 * tokenizers that can describe themselves fully in JSON are stored this way (the character
 * tokenizer); anything else in a checkpoint is refused with the kind it claims.
 */

import { CharTokenizer } from './charTokenizer';
import type { Tokenizer } from './tokenizer';

export class TokenizerJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerJsonError';
  }
}

export function tokenizerFromJson(json: unknown): Tokenizer {
  const kind = typeof json === 'object' && json !== null ? (json as { kind?: unknown }).kind : undefined;
  if (kind === 'char') return CharTokenizer.fromJSON(json);
  throw new TokenizerJsonError(`checkpoint tokenizer of kind ${JSON.stringify(kind ?? null)} is not supported (expected "char")`);
}
