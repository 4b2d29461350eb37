/**
 * The hover's "where" column: a token among its neighbours as readable text. The tester saw
 * `\"It is no[t] angry at` (JSON escapes), `[👋]🏽 👩‍💻 \ud83d` (an emoji cut in half) and `[]`
 * for a newline token.
 */

import assert from 'node:assert/strict';
import { markdownCode, tokenInContext } from '../../../src/presentation/tokenContext';

/** [start, end) of the `n`th occurrence of `token` in `text`. */
function at(text: string, token: string, n = 0): [number, number] {
  let i = -1;
  for (let k = 0; k <= n; k++) i = text.indexOf(token, i + 1);
  return [i, i + token.length];
}

describe('presentation: a token in its context (hover "where")', () => {
  it('shows quotes and backslashes as they are, not JSON-escaped', () => {
    const line = '"It is not angry at the sea," said the keeper \\ of the light.';
    assert.equal(tokenInContext(line, ...at(line, 't', 1)), '"It is no[t] angry at ');
    assert.equal(tokenInContext(line, ...at(line, 'of')), ' keeper \\ [of] the light');
  });

  it('cuts on grapheme boundaries: skin tones and ZWJ sequences stay whole at the edges', () => {
    const line = 'joiners: 👋🏽 👩‍💻 🧑🏿‍🚀 done';
    const [s] = at(line, '👋');
    const out = tokenInContext(line, s, s + 2, 3); // the hand alone, as a byte-level token would split it
    assert.equal(out, 's: [👋]🏽 👩‍💻');
    const astro = at(line, '🧑🏿‍🚀');
    assert.equal(tokenInContext(line, ...astro, 2), '👩‍💻 [🧑🏿‍🚀] d');
    for (let r = 0; r < 14; r++)
      assert.doesNotMatch(tokenInContext(line, s, s + 2, r), /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
  });

  it('never slices a surrogate pair even when handed an offset inside one', () => {
    const line = 'a😀b';
    assert.equal(tokenInContext(line, 2, 3), 'a[😀]b');
  });

  it('shows a newline token visibly, and a space or a tab token as the token column does', () => {
    const text = 'first line\nsecond';
    assert.equal(tokenInContext(text, ...at(text, '\n')), 'first line[↵]second');
    assert.equal(tokenInContext('a\r\nb', 1, 3), 'a[␍↵]b');
    assert.equal(tokenInContext('x y', 1, 2), 'x[·]y');
    assert.equal(tokenInContext('a\tb\u0007c', 0, 1), '[a]⇥b\\x07c');
  });

  it('does not reach past another line break', () => {
    const text = 'one\ntwo three\nfour';
    assert.equal(tokenInContext(text, ...at(text, 'three')), 'two [three]');
  });

  it('as Markdown: pipes escaped in a table cell, backticks fenced, edge spaces kept', () => {
    assert.equal(markdownCode('a|b', true), '`a\\|b`');
    assert.equal(markdownCode('a|b'), '`a|b`');
    assert.equal(markdownCode('x`y'), '``x`y``');
    assert.equal(markdownCode('``a'), '``` ``a ```');
    assert.equal(markdownCode(' [a] '), '`  [a]  `');
    assert.equal(markdownCode('*[_a_]* <b> # [x](y)'), '`*[_a_]* <b> # [x](y)`');
  });
});
