/** Fuzzing the Hugging Face readers (properties in props/huggingface.ts). */

import { HuggingFaceError } from '../../../src/engine/checkpoint/huggingface';
import { ReaderProbe, fuzzEach, reportAfter } from './harness';
import {
  HF_MODEL_ERRORS,
  HuggingFaceTokenizerError,
  hfConfigProperties,
  hfFolders,
  hfModelProperties,
  hfTokenizerBases,
  hfTokenizerProperties,
  readHfModel,
  useHfTokenizer,
} from './props/huggingface';

describe('fuzz: Hugging Face config.json (parseHfConfig)', function () {
  this.timeout(120_000);
  const probe = new ReaderProbe('HF config.json', [HuggingFaceError]);
  reportAfter(probe);
  fuzzEach(hfConfigProperties(probe), probe);
});

describe('fuzz: Hugging Face model (parseHuggingFaceModel over parseSafetensors)', function () {
  this.timeout(120_000);
  const probe = new ReaderProbe('HF model', HF_MODEL_ERRORS);
  reportAfter(probe);
  it('the valid bases load', () => {
    const { built, fixtures } = hfFolders();
    for (const f of [...built, ...fixtures]) readHfModel(f.config, f.weights);
  });
  fuzzEach(hfModelProperties(probe), probe);
});

describe('fuzz: Hugging Face tokenizers (tokenizer.json, vocab.json + merges.txt)', function () {
  this.timeout(120_000);
  const probe = new ReaderProbe('HF tokenizer', [HuggingFaceTokenizerError]);
  reportAfter(probe);
  it('the valid bases load and encode', () => {
    for (const b of hfTokenizerBases()) useHfTokenizer(b.json, b.config, 'the ab é', false, undefined);
  });
  fuzzEach(hfTokenizerProperties(probe), probe);
});
