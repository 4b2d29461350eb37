/**
 * The command line's strictness and help: a stray word, a one-dash option or an option given
 * twice is a usage error (exit 2) rather than something silently ignored, `CMD --help` prints
 * that command's usage (exit 0), and every option a command accepts is on its usage line.
 */

import assert from 'node:assert/strict';
import { HelpRequested, parseArgs, UsageError } from '../../../src/cli/args';
import { ABLATE_OPTIONS } from '../../../src/cli/commands/ablate';
import { ATTENTION_OPTIONS } from '../../../src/cli/commands/attention';
import { ATTRIBUTE_OPTIONS } from '../../../src/cli/commands/attribute';
import { GENERATE_OPTIONS } from '../../../src/cli/commands/generate';
import { HEADS_OPTIONS } from '../../../src/cli/commands/heads';
import { INFO_OPTIONS } from '../../../src/cli/commands/info';
import { LENS_OPTIONS } from '../../../src/cli/commands/lens';
import { SURPRISAL_OPTIONS } from '../../../src/cli/commands/surprisal';
import { TOKENIZE_OPTIONS } from '../../../src/cli/commands/tokenize';
import { TRAIN_OPTIONS } from '../../../src/cli/commands/train';
import { COMMAND_LINES } from '../../../src/cli/usage';
import { cli, jsonError } from '../../helpers/cli';
import { requireFixture } from '../../helpers/fixtures';

const SPECS = {
  train: TRAIN_OPTIONS,
  attention: ATTENTION_OPTIONS,
  generate: GENERATE_OPTIONS,
  heads: HEADS_OPTIONS,
  info: INFO_OPTIONS,
  tokenize: TOKENIZE_OPTIONS,
  surprisal: SURPRISAL_OPTIONS,
  lens: LENS_OPTIONS,
  ablate: ABLATE_OPTIONS,
  attribute: ATTRIBUTE_OPTIONS,
};

describe('cli: arguments and help', function () {
  this.timeout(120_000);

  it('parseArgs: stray words, one-dash options and repeated options are usage errors; -- ends the options; --help asks for help', () => {
    const spec = { values: ['text', 'out'], flags: ['json'] };
    assert.throws(
      () => parseArgs(['--text', 'hello', 'world'], spec),
      (e: unknown) => e instanceof UsageError && /unexpected argument "world"/.test(e.message),
    );
    assert.throws(() => parseArgs(['-json'], spec), /unknown option "-json": options start with --/);
    assert.throws(() => parseArgs(['--text', 'a', '--text', 'b'], spec), /--text is given twice \("a", then "b"\); give it once/);
    assert.throws(() => parseArgs(['--out=a', '--out', 'b'], spec), /--out is given twice/);
    assert.throws(() => parseArgs(['--json', '--help'], spec), HelpRequested);
    assert.throws(() => parseArgs(['-h'], spec), HelpRequested);
    // A value that looks like an option is still the value; after --, words are positional.
    assert.equal(parseArgs(['--text', '--help'], spec).values.get('text'), '--help');
    assert.equal(parseArgs(['--text', '-h'], spec).values.get('text'), '-h');
    assert.deepEqual(parseArgs(['--json', '--json'], spec).flags, new Set(['json']));
    const files = { ...spec, positional: 'files' };
    assert.deepEqual(parseArgs(['a.txt', '--json', '--', '--b.txt'], files).positional, ['a.txt', '--b.txt']);
    assert.throws(() => parseArgs(['--', 'x'], spec), /unexpected argument "x"/);
  });

  it('every option a command accepts is on its usage line, and CMD --help prints that line (exit 0)', () => {
    assert.deepEqual(Object.keys(SPECS).sort(), Object.keys(COMMAND_LINES).sort());
    for (const [name, spec] of Object.entries(SPECS)) {
      const line = COMMAND_LINES[name]!;
      for (const option of [...spec.values, ...spec.flags]) assert.match(line, new RegExp(`--${option}\\b`), `${name}: --${option} is missing from its usage`);
      const r = cli(name, '--help');
      assert.equal(r.code, 0, `${name} --help: ${r.stderr}`);
      assert.ok(r.stdout.startsWith(`usage: attention-lens ${line}\n`), `${name} --help printed ${r.stdout.slice(0, 80)}`);
      assert.equal(r.stderr, '');
    }
    // --help wins over other mistakes on the line, and works with --threads before it.
    assert.equal(cli('heads', '--threads', '2', '--no-such-thing', '--help').code, 2);
    assert.equal(cli('attention', '--threads', '2', '-h').code, 0);
  });

  it('a stray word, a repeated option or an empty id is refused before the model is read (exit 2)', function () {
    const tok = requireFixture(this, 'stories260K', 'tok512.bin');
    const cases: [string[], RegExp][] = [
      [['tokenize', '--tokenizer', tok, '--text', 'hello', 'world', '--json'], /unexpected argument "world"/],
      [['attention', '--checkpoint', '/nonexistent', '--ids', '1,2,3', '--json', 'extra'], /unexpected argument "extra"/],
      [['tokenize', '--tokenizer', tok, '--text', 'a', '--text', 'b', '--json'], /--text is given twice/],
      [['tokenize', '--tokenizer', tok, '--ids', '1,,2', '--json'], /--ids: item 2 is empty in "1,,2"/],
      [['tokenize', '--tokenizer', tok, '--ids', '1,2,', '--json'], /--ids: item 3 is empty/],
    ];
    for (const [argv, message] of cases) {
      const r = cli(...argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stdout}${r.stderr}`);
      const e = jsonError(r);
      assert.equal(e.code, 'usage');
      assert.match(e.message, message);
    }
    const dash = cli('info', '--checkpoint', '/nonexistent', '-json');
    assert.equal(dash.code, 2);
    assert.match(dash.stderr, /^attention-lens info: unknown option "-json": options start with --/);
    // Spaces still separate ids, as before.
    assert.equal(cli('tokenize', '--tokenizer', tok, '--ids', '1 2, 3', '--json').code, 0);
  });
});
