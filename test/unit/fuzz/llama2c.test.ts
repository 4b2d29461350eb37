/** Fuzzing the llama2.c checkpoint and tokenizer readers (properties in props/llama2c.ts). */

import { ReaderProbe, fuzzEach, reportAfter } from './harness';
import { LLAMA2C_ERRORS, Llama2cTokenizerError, llama2cCheckpointProperties, llama2cTokenizerProperties } from './props/llama2c';

describe('fuzz: llama2.c checkpoint reader (parseLlama2cCheckpoint)', function () {
  this.timeout(120_000);
  const probe = new ReaderProbe('llama2.c checkpoint', LLAMA2C_ERRORS);
  reportAfter(probe);
  fuzzEach(llama2cCheckpointProperties(probe), probe);
});

describe('fuzz: llama2.c tokenizer reader (Llama2cTokenizer.fromBytes, then encode/decode)', function () {
  this.timeout(120_000);
  const probe = new ReaderProbe('llama2.c tokenizer', [Llama2cTokenizerError]);
  reportAfter(probe);
  fuzzEach(llama2cTokenizerProperties(probe), probe);
});
