/**
 * Fuzz properties of validateModelConfig, the gate for model configs read from files: hostile
 * values as the whole config, valid configs with fields replaced by hostile or adversarial
 * values, and JSON mutations of a valid config's text. A config that passes must satisfy
 * every documented bound and yield a finite parameter spec.
 */

import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { ModelConfigError, validateModelConfig, type ModelConfig } from '../../../../src/engine/models/config';
import { parameterCount, paramSpec } from '../../../../src/engine/models/paramSpec';
import { ReaderProbe, adversarialJsonText, fieldsOf, hostileValue, jsonMutation, mutateJsonText, prop, type PropertySet } from '../harness';
import { TINY_CONFIGS } from './native';

const INT_BOUNDS: Record<string, [number, number]> = {
  vocabSize: [1, 1 << 22],
  contextLength: [1, 1 << 20],
  dModel: [1, 1 << 16],
  nLayers: [1, 1024],
  nHeads: [1, 1024],
  nKvHeads: [1, 1024],
  mlpHidden: [0, 1 << 18],
};

/** The documented invariants of a validated config. */
export function checkValidConfig(c: ModelConfig): void {
  for (const [k, [min, max]] of Object.entries(INT_BOUNDS)) {
    const v = (c as unknown as Record<string, number>)[k]!;
    assert.ok(Number.isInteger(v) && v >= min && v <= max, `${k} = ${v}`);
  }
  assert.ok(c.dModel % c.nHeads === 0 && c.nHeads % c.nKvHeads === 0);
  assert.ok(Number.isFinite(c.normEps) && Number.isFinite(c.ropeTheta) && Number.isFinite(c.dropout));
  assert.ok(Object.getPrototypeOf(c) === Object.prototype && !Object.prototype.hasOwnProperty.call(c, '__proto__'));
  assert.ok(Number.isFinite(parameterCount(c)));
  for (const s of paramSpec(c))
    assert.ok(
      s.shape.every((d) => Number.isSafeInteger(d) && d >= 1),
      `${s.name} [${s.shape}]`,
    );
}

export function modelConfigProperties(probe: ReaderProbe): PropertySet {
  const validate = (raw: unknown): void => {
    const c = probe.check(0, () => validateModelConfig(raw));
    if (c) checkValidConfig(c);
  };
  const bases = Object.values(TINY_CONFIGS);
  const numberish = fc.oneof(
    fc.integer({ min: -4, max: 2048 }),
    fc.constantFrom(0, -0, 1, 0.5, 1e-5, 1 << 16, (1 << 16) + 1, 1 << 20, (1 << 22) + 1, 2 ** 53, 2 ** 60, NaN, Infinity, -Infinity, Number.MAX_VALUE),
    fc.double(),
  );
  const goodish: Record<string, fc.Arbitrary<unknown>> = {};
  for (const k of Object.keys(TINY_CONFIGS.gpt)) {
    const samples = bases.map((b) => (b as unknown as Record<string, unknown>)[k]);
    goodish[k] =
      typeof samples[0] === 'number' ? fc.oneof(fc.constantFrom(...samples), numberish) : fc.constantFrom(...samples, 'none', 'learned', 'rope', 'gpt', 'seed');
  }
  return {
    'hostile values as the whole config': prop(0.2, fc.property(hostileValue, validate)),
    'valid configs with fields replaced, removed or added (__proto__, extras)': prop(
      0.35,
      fc.property(fc.constantFrom(...bases), fieldsOf(goodish), (base, fields) => {
        const raw: Record<string, unknown> = { ...base };
        for (const [k, v] of Object.entries(fields)) Object.defineProperty(raw, k, { value: v, enumerable: true, writable: true, configurable: true });
        validate(raw);
      }),
    ),
    'JSON mutations of a valid config text (as read from a checkpoint)': prop(
      0.35,
      fc.property(fc.constantFrom(...bases), fc.array(jsonMutation, { minLength: 1, maxLength: 3 }), (base, ms) => {
        const text = ms.reduce(mutateJsonText, JSON.stringify(base));
        let raw: unknown;
        try {
          raw = JSON.parse(text);
        } catch {
          fc.pre(false); // not JSON: skipped, and not counted as a run
        }
        validate(raw);
      }),
    ),
    'one field set to each adversarial JSON value': prop(
      0.1,
      fc.property(fc.constantFrom(...bases), fc.constantFrom(...Object.keys(TINY_CONFIGS.gpt)), adversarialJsonText, (base, key, rawText) => {
        const text = JSON.stringify({ ...base, [key]: '\u0002' }).replace('"\\u0002"', () => rawText);
        validate(JSON.parse(text));
      }),
    ),
  };
}

export { ModelConfigError };
