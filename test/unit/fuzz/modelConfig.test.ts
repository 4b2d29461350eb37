/** Fuzzing validateModelConfig (properties in props/modelConfig.ts). */

import { ModelConfigError } from '../../../src/engine/models/config';
import { ReaderProbe, fuzzEach, reportAfter } from './harness';
import { modelConfigProperties } from './props/modelConfig';

describe('fuzz: model config validation (validateModelConfig)', function () {
  this.timeout(120_000);
  const probe = new ReaderProbe('model config', [ModelConfigError]);
  reportAfter(probe);
  fuzzEach(modelConfigProperties(probe), probe);
});
