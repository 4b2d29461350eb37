/** Fuzzing the static check of untrusted tokenizer regexes (properties in props/regex.ts). */

import { ReaderProbe, fuzzEach, reportAfter } from './harness';
import { regexProperties } from './props/regex';

describe('fuzz: tokenizer regex check (unsafeRegexReason + RegExp)', function () {
  this.timeout(120_000);
  const probe = new ReaderProbe('tokenizer regex', [], { maxMs: 1000 });
  reportAfter(probe);
  fuzzEach(regexProperties(probe), probe);
});
