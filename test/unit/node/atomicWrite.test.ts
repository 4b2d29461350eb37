/**
 * Tests for writeFileAtomic: the target is replaced on success, and survives (byte for byte)
 * every failure we can inject; no temporary files are left behind either way.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AtomicWriteError, writeFileAtomic, type AtomicFileHandle, type AtomicWriteFs } from '../../../src/node/atomicWrite';

const OLD = new TextEncoder().encode('the good old checkpoint');
const NEW = new TextEncoder().encode('a brand new checkpoint, longer than the old one');

/** Real fs.promises with hooks that can fail chosen steps. */
function faultyFs(faults: {
  open?: (file: string, flags: string) => Promise<void> | void;
  write?: (handle: AtomicFileHandle, call: number) => Promise<void> | void;
  sync?: () => void;
  rename?: () => void;
  maxChunk?: number;
}): AtomicWriteFs {
  return {
    async open(file, flags, mode) {
      await faults.open?.(file, flags);
      const real = await fs.promises.open(file, flags, mode);
      let calls = 0;
      return {
        async write(data, offset, length, position) {
          await faults.write?.(real, calls++);
          return real.write(data, offset, Math.min(length, faults.maxChunk ?? length), position);
        },
        async sync() {
          faults.sync?.();
          return real.sync();
        },
        close: () => real.close(),
      };
    },
    async rename(from, to) {
      faults.rename?.();
      return fs.promises.rename(from, to);
    },
    unlink: (file) => fs.promises.unlink(file),
  };
}

describe('node/atomicWrite', () => {
  let dir: string;
  let target: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attention-lens-atomic-'));
    target = path.join(dir, 'model.safetensors');
  });

  /** A directory a test made immutable (root), to be made mutable again before removal. */
  let immutable: string | null = null;

  afterEach(() => {
    if (immutable) execFileSync('chattr', ['-i', immutable]);
    immutable = null;
    fs.chmodSync(dir, 0o755);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const assertOldSurvives = async (p: Promise<void>, pattern: RegExp): Promise<AtomicWriteError> => {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof AtomicWriteError, `expected AtomicWriteError, got ${String(err)}`);
    assert.match(err.message, pattern);
    assert.deepEqual(new Uint8Array(fs.readFileSync(target)), OLD, 'existing file untouched');
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f !== 'model.safetensors'),
      [],
      'no temp files left',
    );
    return err;
  };

  it('creates a new file and replaces an existing one, leaving no temp files', async () => {
    await writeFileAtomic(target, OLD);
    assert.deepEqual(new Uint8Array(fs.readFileSync(target)), OLD);
    await writeFileAtomic(target, NEW);
    assert.deepEqual(new Uint8Array(fs.readFileSync(target)), NEW);
    assert.deepEqual(fs.readdirSync(dir), ['model.safetensors']);
  });

  it('removes temp files that dead writers left for the same target (old ones only)', async () => {
    const abandoned = path.join(dir, '.model.safetensors.999999.0badc0ffee00.tmp');
    const fresh = path.join(dir, '.model.safetensors.999998.00000000beef.tmp');
    const unrelated = path.join(dir, '.other.safetensors.999999.0badc0ffee00.tmp');
    for (const f of [abandoned, fresh, unrelated]) fs.writeFileSync(f, 'partial');
    const old = new Date(Date.now() - 3600_000);
    fs.utimesSync(abandoned, old, old);
    fs.utimesSync(unrelated, old, old);
    await writeFileAtomic(target, NEW);
    assert.deepEqual(fs.readdirSync(dir).sort(), [path.basename(fresh), path.basename(unrelated), 'model.safetensors'].sort());
  });

  it('writes empty and large files, looping over partial writes', async () => {
    await writeFileAtomic(target, new Uint8Array(0));
    assert.equal(fs.statSync(target).size, 0);
    const big = new Uint8Array(3_000_001).map((_, i) => (i * 31) & 0xff);
    await writeFileAtomic(target, big, { fs: faultyFs({ maxChunk: 65_537 }) });
    assert.deepEqual(new Uint8Array(fs.readFileSync(target)), big);
  });

  it('keeps the old file when a write fails halfway', async () => {
    fs.writeFileSync(target, OLD);
    const failing = faultyFs({
      maxChunk: 8,
      write: (_h, call) => {
        if (call === 2) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      },
    });
    const err = await assertOldSurvives(
      writeFileAtomic(target, NEW, { fs: failing }),
      /could not write .*model\.safetensors: the disk is full \(ENOSPC\); any existing file is unchanged/,
    );
    assert.equal(err.code, 'ENOSPC');
    assert.match(String((err.cause as Error).message), /no space left/);
  });

  it('keeps the old file when fsync or rename fails', async () => {
    fs.writeFileSync(target, OLD);
    await assertOldSurvives(
      writeFileAtomic(target, NEW, {
        fs: faultyFs({
          sync: () => {
            throw new Error('I/O error');
          },
        }),
      }),
      /I\/O error/,
    );
    await assertOldSurvives(
      writeFileAtomic(target, NEW, {
        fs: faultyFs({
          rename: () => {
            throw new Error('rename refused');
          },
        }),
      }),
      /rename refused/,
    );
  });

  it('keeps the old file when the temp path is already taken (by a directory)', async () => {
    fs.writeFileSync(target, OLD);
    const blocking = faultyFs({
      open: (file, flags) => {
        if (flags === 'wx') fs.mkdirSync(file);
      },
    });
    const err = await writeFileAtomic(target, NEW, { fs: blocking }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof AtomicWriteError);
    assert.equal(err.code, 'EEXIST');
    assert.match(err.message, /could not create a temporary file for/);
    assert.deepEqual(new Uint8Array(fs.readFileSync(target)), OLD);
  });

  it('fails clearly, removing its temp file, when the target is a directory', async () => {
    fs.mkdirSync(target);
    const err = await writeFileAtomic(target, NEW).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof AtomicWriteError);
    assert.match(err.message, /is a directory|EISDIR|EEXIST|ENOTEMPTY/);
    assert.deepEqual(fs.readdirSync(dir), ['model.safetensors']);
    assert.ok(fs.statSync(target).isDirectory());
  });

  it('names the directory when it does not exist', async () => {
    const missing = path.join(dir, 'no', 'such', 'dir', 'x.bin');
    await assert.rejects(writeFileAtomic(missing, NEW), (e: unknown) => {
      assert.ok(e instanceof AtomicWriteError);
      assert.match(e.message, /directory .*no[\\/]such[\\/]dir does not exist/);
      assert.equal(e.code, 'ENOENT');
      return true;
    });
  });

  it('says the directory is not writable (simulated EACCES, so it also runs as root)', async () => {
    fs.writeFileSync(target, OLD);
    const denied = faultyFs({
      open: () => {
        throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
      },
    });
    await assertOldSurvives(writeFileAtomic(target, NEW, { fs: denied }), /directory .* is not writable \(EACCES\)/);
  });

  it('says the directory is not writable (a real unwritable directory; as root an immutable one)', async function () {
    if (process.platform === 'win32') return this.skip(); // no chmod-style read-only directories
    fs.writeFileSync(target, OLD);
    if (process.getuid?.() === 0) {
      // Root ignores permission bits, but not the immutable attribute (ext4, xfs, btrfs):
      // creating a file in such a directory fails with EPERM, for root too.
      try {
        execFileSync('chattr', ['+i', dir], { stdio: 'pipe' });
        immutable = dir;
      } catch {
        return this.skip(); // chattr missing or the filesystem has no immutable attribute (tmpfs, overlayfs)
      }
      await assertOldSurvives(writeFileAtomic(target, NEW), /directory .* is not writable \(EPERM\)/);
      return;
    }
    fs.chmodSync(dir, 0o555);
    await assertOldSurvives(writeFileAtomic(target, NEW), /directory .* is not writable \(EACCES\)/);
  });

  it('says the directory is not a directory when a regular file stands in its place (real ENOTDIR, runs as root too)', async () => {
    const notADir = path.join(dir, 'models');
    fs.writeFileSync(notADir, OLD);
    const err = await writeFileAtomic(path.join(notADir, 'model.safetensors'), NEW).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof AtomicWriteError, `expected AtomicWriteError, got ${String(err)}`);
    assert.equal(err.code, 'ENOTDIR');
    assert.match(err.message, /models is not a directory/);
    assert.deepEqual(new Uint8Array(fs.readFileSync(notADir)), OLD, 'the file in the way is untouched');
    assert.deepEqual(fs.readdirSync(dir), ['models'], 'nothing else created');
  });

  it('lets concurrent writers finish with one complete version and no leftovers', async () => {
    const versions = Array.from({ length: 8 }, (_, i) => new Uint8Array(10_000 + i).fill(i + 1));
    await Promise.all(versions.map((v) => writeFileAtomic(target, v)));
    const final = new Uint8Array(fs.readFileSync(target));
    assert.ok(versions.some((v) => v.length === final.length && v.every((b, i) => final[i] === b)));
    assert.deepEqual(fs.readdirSync(dir), ['model.safetensors']);
  });
});
