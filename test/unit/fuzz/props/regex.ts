/**
 * Fuzz properties of the tokenizer-regex check (src/protocol/regexSafety.ts): random
 * patterns built from the pieces catastrophic patterns are made of (groups, alternations,
 * nested and adjacent quantifiers over overlapping classes) are either refused with a reason,
 * or — when accepted — run by JavaScript's own RegExp over adversarial texts (long runs of the
 * pattern's characters ending in one that fails the match) within the probe's time bound.
 * A pattern that could freeze the tokenizer therefore fails this property.
 */

import fc from 'fast-check';
import { unsafeRegexReason } from '../../../../src/protocol/regexSafety';
import { prop, type PropertySet, type ReaderProbe } from '../harness';

const atom = fc.constantFrom('a', 'b', '\\s', '\\w', '.', '[ab]', '[^b]', '\\p{L}', ' ');
const pattern: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom,
    fc.tuple(tie('node'), fc.constantFrom('*', '+', '?', '{2,}', '{1,3}', '{5}')).map(([n, q]) => `(?:${n})${q}`),
    fc.tuple(tie('node'), tie('node')).map(([a, b]) => `${a}${b}`),
    fc.tuple(tie('node'), tie('node')).map(([a, b]) => `(?:${a}|${b})`),
    fc.tuple(atom, fc.constantFrom('*', '+')).map(([a, q]) => `${a}${q}`),
  ),
})).node;

/** Texts that make a backtracking engine try every split: runs of a, space, b, then a mismatch. */
const TEXTS = ['a'.repeat(30) + '!', ' '.repeat(30) + '!', 'ab'.repeat(15) + '!', 'a a '.repeat(8) + '\u0000'];

export function regexProperties(probe: ReaderProbe): PropertySet {
  return {
    'a random pattern is refused, or runs over adversarial texts within the time bound': prop(
      1,
      fc.property(pattern, fc.constantFrom('', '$'), (p, anchor) => {
        const source = p + anchor;
        // The check and, when it accepts, the pattern's run are one reading: both are under the time bound.
        probe.check(0, () => {
          if (unsafeRegexReason(source) !== null) {
            probe.note('refused');
            return 0;
          }
          const re = new RegExp(source, 'gu');
          let n = 0;
          for (const t of TEXTS) n += [...t.matchAll(re)].length;
          return n;
        });
      }),
    ),
  };
}
