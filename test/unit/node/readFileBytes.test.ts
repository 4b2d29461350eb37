/** Tests for readFileBytes: exact bytes in an aligned buffer, the size cap, clear errors. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { FileReadError, FileTooLargeError, READ_CHUNK_BYTES, readFileBytes, readFileHead } from '../../../src/node/readFileBytes';
import { LoadCancelledError } from '../../../src/node/loadProgress';

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
    await assert.rejects(
      readFileBytes(path.join(dir, 'nope.bin')),
      (e: unknown) => e instanceof FileReadError && e.code === 'ENOENT' && /could not read .*nope\.bin: no such file/.test(e.message),
    );
    await assert.rejects(readFileBytes(dir), (e: unknown) => e instanceof FileReadError && /is not a regular file|is a directory/.test(e.message));
  });
});

describe('node/readFileBytes: large files, devices and FIFOs', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attention-lens-read-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads in pieces (one read call over 2^31−1 bytes aborts Node): a sparse file with markers at the piece edges comes back exact', async () => {
    const file = path.join(dir, 'sparse.bin');
    const size = 3 * 1024 * 1024 + 17;
    const chunk = 1024 * 1024;
    fs.closeSync(fs.openSync(file, 'w'));
    fs.truncateSync(file, size);
    const marks = [0, chunk - 1, chunk, 2 * chunk + 5, size - 1];
    const fd = fs.openSync(file, 'r+');
    marks.forEach((at, i) => fs.writeSync(fd, Uint8Array.of(i + 1), 0, 1, at));
    fs.closeSync(fd);
    const bytes = await readFileBytes(file, { chunkBytes: chunk });
    assert.equal(bytes.length, size);
    const expected = new Uint8Array(size);
    marks.forEach((at, i) => (expected[at] = i + 1));
    assert.deepEqual(bytes, expected);
    assert.ok(READ_CHUNK_BYTES <= 2 ** 31 - 1, 'the default piece is below the single-read limit');
  });

  it("touching the next piece's pages while one is read never touches bytes already read: every byte of a many-piece file comes back", async () => {
    const file = path.join(dir, 'touch.bin');
    // No zero byte anywhere, and piece edges that fall inside pages (5000 is not a multiple of 4096).
    const content = new Uint8Array(100_003).map((_, i) => 1 + ((i * 7919) % 255));
    fs.writeFileSync(file, content);
    for (const chunk of [5000, 4096, 777, 100_003, 1 << 20]) {
      const fresh = new Uint8Array(content.length + 64);
      const bytes = await readFileBytes(file, { chunkBytes: chunk, allocate: (n) => fresh.subarray(32, 32 + n) });
      assert.equal(bytes.byteOffset, 32);
      assert.deepEqual(bytes, content, `pieces of ${chunk} bytes`);
      assert.ok(fresh.subarray(0, 32).every((b) => b === 0) && fresh.subarray(32 + content.length).every((b) => b === 0), 'wrote outside the array');
    }
  });

  it('reports the bytes read after each piece (from 0 to the size), and stops between pieces once its signal fires', async () => {
    const file = path.join(dir, 'pieces.bin');
    const content = new Uint8Array(10_000).map((_, i) => i & 0xff);
    fs.writeFileSync(file, content);
    const seen: [number, number][] = [];
    const bytes = await readFileBytes(file, { chunkBytes: 3000, onProgress: (done, total) => seen.push([done, total]) });
    assert.deepEqual(bytes, content);
    assert.deepEqual(seen, [
      [0, 10_000],
      [3000, 10_000],
      [6000, 10_000],
      [9000, 10_000],
      [10_000, 10_000],
    ]);
    const controller = new AbortController();
    const stopped: number[] = [];
    await assert.rejects(
      readFileBytes(file, {
        chunkBytes: 3000,
        signal: controller.signal,
        onProgress: (done) => {
          stopped.push(done);
          if (done >= 3000) controller.abort();
        },
      }),
      (e: unknown) => e instanceof LoadCancelledError && e.message === `loading ${file} was cancelled`,
    );
    assert.deepEqual(stopped, [0, 3000]);
  });

  it('refuses a FIFO without opening it (that would wait for a writer forever), and a character device', async function () {
    const fifo = path.join(dir, 'fifo');
    const { status } = spawnSync('mkfifo', [fifo]);
    if (status !== 0) return this.skip();
    await assert.rejects(
      readFileBytes(fifo),
      (e: unknown) => e instanceof FileReadError && e.code === 'NOT_A_FILE' && /is not a regular file \(a FIFO\)/.test((e as Error).message),
    );
    assert.equal(readFileHead(fifo, 8).length, 0);
    if (fs.existsSync('/dev/zero')) {
      await assert.rejects(readFileBytes('/dev/zero'), /is not a regular file \(a character device\)/);
    }
  });
});
