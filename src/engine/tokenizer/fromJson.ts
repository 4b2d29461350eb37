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
  // `kind` is untrusted JSON: name objects rather than print them (they can be huge or nested too deep to print).
  const shown =
    typeof kind === 'object' && kind !== null ? (Array.isArray(kind) ? 'an array' : 'an object') : String(JSON.stringify(kind ?? null)).slice(0, 60);
  throw new TokenizerJsonError(`checkpoint tokenizer of kind ${shown} is not supported (expected "char")`);
}
