/**
 * The engine's op, model and fixture tests run under the default backend (WebAssembly here)
 * where mocha finds them; this file runs them once more under the other backend (the JS
 * reference, or WebAssembly when ATTENTION_LENS_BACKEND=js), so both keep passing the same
 * hand-computed values, gradient checks, tfjs oracle and llama2.c fixtures.
 */

import { selectBackend } from '../../../../src/engine/kernels/activeBackend';
import { requestedBackend, restoreDefaultBackend } from './selectBackend';

const FILES = [
  '../ops/attention.test.ts',
  '../ops/matmul.test.ts',
  '../ops/norm.test.ts',
  '../ops/pointwise.test.ts',
  '../ops/rope.test.ts',
  '../ops/softmax.test.ts',
  '../nn/transformer.test.ts',
  '../nn/tfjsOracle.test.ts',
  '../checkpoint/llama2c.test.ts',
  '../inference/generate.test.ts',
  '../families/goldens.test.ts',
  '../nn/familyVariants.test.ts',
];

const other = requestedBackend() === 'js' ? 'wasm' : 'js';

describe(`under the ${other} backend as well`, () => {
  before(() => {
    const s = selectBackend(other);
    if (other === 'wasm' && s.fallbackReason) throw new Error(`WebAssembly did not load: ${s.fallbackReason}`);
  });
  after(restoreDefaultBackend);
  for (const f of FILES) {
    // Registers the file's suites inside this one; the cache entry is dropped before and
    // after so mocha's own load of the file still registers them at the top level.
    const p = require.resolve(f);
    delete require.cache[p];
    require(p);
    delete require.cache[p];
  }
});
