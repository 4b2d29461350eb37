/**
 * The tokenizer of a model that comes without one (test checkpoints, a bare weights folder):
 * it cannot turn text into ids — encode() says so and how to give ids instead (`--ids 3,1,4`
 * in the CLI) — but it can name ids, so everything downstream of token ids (attention,
 * head scores, generation) works and shows `#3` for token 3.
 */

import type { EncodeOptions, Encoding, Tokenizer } from './tokenizer';

export class NoTokenizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoTokenizerError';
  }
}

export class IdsOnlyTokenizer implements Tokenizer {
  readonly kind = 'ids' as const;
  readonly bosId = null;
  readonly eosId = null;

  constructor(
    readonly vocabSize: number,
    private readonly source: string,
  ) {}

  encode(_text: string, _options?: EncodeOptions): Encoding {
    throw new NoTokenizerError(
      `${this.source} has no tokenizer (tokenizer.json, or vocab.json + merges.txt), so text cannot be encoded; give token ids (--ids 3,1,4) or a tokenizer (--tokenizer)`,
    );
  }

  decode(ids: ArrayLike<number>): string {
    return Array.from(ids, (id) => this.tokenLabel(id)).join(' ');
  }

  tokenLabel(id: number): string {
    return `#${id}`;
  }
}
