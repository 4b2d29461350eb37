/** Fuzzing the native checkpoint reader and the tokenizer stored in it (properties in props/native.ts). */

import { ReaderProbe, fuzzEach, reportAfter } from './harness';
import { NATIVE_ERRORS, loadNative, nativeBases, nativeProperties } from './props/native';

describe('fuzz: native checkpoint reader (parseCheckpoint + tokenizerFromJson)', function () {
  this.timeout(120_000);
  const probe = new ReaderProbe('native checkpoint', NATIVE_ERRORS);
  reportAfter(probe);

  it('the valid bases load', () => {
    for (const b of nativeBases()) loadNative(b);
  });

  fuzzEach(nativeProperties(probe), probe);
});
