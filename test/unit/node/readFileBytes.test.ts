/** Tests for readFileBytes: exact bytes in an aligned buffer, the size cap, clear errors. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileReadError, FileTooLargeError, readFileBytes } from '../../../src/node/readFileBytes';

describe('node/readFileBytes', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attention-lens-read-'));
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('returns the exact bytes as a plain Uint8Array at offset 0 of its own buffer', async () => {
    const file = path.join(dir, 'data.bin');
    const content = new Uint8Array(100_003).map((_, i) => (i * 7) & 0xff);
    fs.writeFileSync(file, content);
    const bytes = await readFileBytes(file);
    assert.equal(Object.getPrototypeOf(bytes), Uint8Array.prototype, 'not a Buffer');
    assert.equal(bytes.byteOffset, 0);
    assert.equal(bytes.buffer.byteLength, content.length);
    assert.deepEqual(bytes, content);
    assert.equal((await readFileBytes(path.join(dir, 'data.bin'), { maxBytes: 100_003 })).length, 100_003);
  });

  it('reads an empty file', async () => {
    const file = path.join(dir, 'empty');
    fs.writeFileSync(file, '');
    assert.equal((await readFileBytes(file)).length, 0);
  });

  it('refuses a file over maxBytes before reading it, naming size and limit', async () => {
    const file = path.join(dir, 'big.bin');
    fs.writeFileSync(file, new Uint8Array(1001));
    await assert.rejects(readFileBytes(file, { maxBytes: 1000 }), (e: unknown) => {
      assert.ok(e instanceof FileTooLargeError && e instanceof FileReadError);
      assert.equal(e.code, 'TOO_LARGE');
      assert.match(e.message, /big\.bin is 1001 bytes, more than the 1000-byte limit/);
      return true;
    });
  });

  it('explains missing files and directories', async () => {
    await assert.rejects(readFileBytes(path.join(dir, 'nope.bin')), (e: unknown) =>
      e instanceof FileReadError && e.code === 'ENOENT' && /could not read .*nope\.bin: no such file/.test(e.message));
    await assert.rejects(readFileBytes(dir), (e: unknown) =>
      e instanceof FileReadError && /is not a regular file|is a directory/.test(e.message));
  });
});
