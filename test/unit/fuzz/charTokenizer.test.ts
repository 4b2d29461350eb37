/** Fuzzing CharTokenizer.fromJSON (properties in props/charTokenizer.ts). */

import { CharTokenizerError } from '../../../src/engine/tokenizer/charTokenizer';
import { ReaderProbe, fuzzEach, reportAfter } from './harness';
import { charTokenizerProperties } from './props/charTokenizer';

describe('fuzz: character tokenizer description (CharTokenizer.fromJSON)', function () {
  this.timeout(120_000);
  const probe = new ReaderProbe('char tokenizer JSON', [CharTokenizerError]);
  reportAfter(probe);
  fuzzEach(charTokenizerProperties(probe), probe);
});
