/**
 * Fuzz properties of CharTokenizer.fromJSON, which rebuilds the tokenizer stored in a native
 * checkpoint: hostile values, valid descriptions with fields replaced (sparse arrays, NaN,
 * out-of-range or unsorted code points), and JSON mutations of a valid description's text.
 * A tokenizer that loads must encode any text into in-range ids and decode them.
 */

import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { CharTokenizer } from '../../../../src/engine/tokenizer/charTokenizer';
import { ReaderProbe, adversarialJsonText, fieldsOf, hostileValue, jsonMutation, mutateJsonText, prop, type PropertySet } from '../harness';

export function useCharTokenizer(json: unknown, text: string): number {
  const tok = CharTokenizer.fromJSON(json);
  const enc = tok.encode(text);
  for (const t of enc.tokens) {
    assert.ok(Number.isInteger(t.id) && t.id >= 0 && t.id < tok.vocabSize, `id ${t.id}`);
    assert.ok(t.start >= 0 && t.start < t.end && t.end <= text.length);
  }
  tok.decode(enc.ids);
  for (let id = 0; id < Math.min(tok.vocabSize, 8); id++) tok.tokenLabel(id);
  // What it describes, it rebuilds (compared as JSON: a -0 code point is read as 0, harmlessly).
  const described = JSON.stringify(tok.toJSON());
  assert.equal(JSON.stringify(CharTokenizer.fromJSON(JSON.parse(described)).toJSON()), described);
  return enc.ids.length;
}

export function charTokenizerProperties(probe: ReaderProbe): PropertySet {
  const valid = [
    CharTokenizer.fromText('hello, world').toJSON(),
    CharTokenizer.fromText('\u0000\ud800é😀\udfff').toJSON(),
    CharTokenizer.fromText('').toJSON(),
  ];
  const text = fc.oneof(fc.string({ maxLength: 24 }), fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('', 'hello', '\ud800😀\u0000'));
  const read = (json: unknown, t: string): void => {
    probe.check(0, () => useCharTokenizer(json, t));
  };
  const codePoint = fc.oneof(fc.integer({ min: 0, max: 0x10ffff }), fc.constantFrom(-1, 0x110000, 0.5, NaN, Infinity, -0, 2 ** 53, 0xd800));
  return {
    'hostile values as the description': prop(0.2, fc.property(hostileValue, text, read)),
    'descriptions with fields replaced (sparse, unsorted, out-of-range, huge code point lists)': prop(
      0.4,
      fc.property(
        fieldsOf({
          kind: fc.constantFrom('char', 'llama2c', 'CHAR'),
          version: fc.constantFrom(1, 2, '1', 1.0000001),
          codePoints: fc.oneof(
            fc.array(codePoint, { maxLength: 8 }),
            fc.uniqueArray(fc.integer({ min: 0, max: 0x10ffff }), { maxLength: 50 }).map((a) => a.sort((x, y) => x - y)),
            fc.sparseArray(fc.integer({ min: 0, max: 0x10ffff }), { maxLength: 10 }).map((a) => a.sort((x, y) => x - y)),
            fc.integer({ min: 0, max: 20_000 }).map((n) => Array.from({ length: n }, (_, i) => i)),
          ),
        }),
        text,
        read,
      ),
    ),
    'JSON mutations of valid descriptions': prop(
      0.3,
      fc.property(fc.constantFrom(...valid), fc.array(jsonMutation, { minLength: 1, maxLength: 3 }), text, (base, ms, t) => {
        const mutated = ms.reduce(mutateJsonText, JSON.stringify(base));
        let json: unknown;
        try {
          json = JSON.parse(mutated);
        } catch {
          fc.pre(false); // not JSON: skipped, and not counted as a run
        }
        read(json, t);
      }),
    ),
    'one field set to each adversarial JSON value': prop(
      0.1,
      fc.property(fc.constantFrom('kind', 'version', 'codePoints'), adversarialJsonText, text, (key, raw, t) => {
        read(JSON.parse(JSON.stringify({ ...valid[0]!, [key]: '\u0002' }).replace('"\\u0002"', () => raw)), t);
      }),
    ),
  };
}
