/**
 * Child process for checkpointKill.test.ts (bundled by esbuild, run with plain node): writes a
 * checkpoint over the target with writeFileAtomic and is SIGKILLed part-way.
 *
 * argv[2] is a JSON plan:
 * - mode 'stage': dies at a chosen point, through writeFileAtomic's injectable fs — after
 *   `killAt` bytes of the temporary file are written (stage 'write', with short writes of at
 *   most `chunk` bytes), or right after opening the temporary file, after its fsync, before or
 *   after the rename, or after the directory fsync;
 * - mode 'loop': writes the sources over the target one after another, forever, printing
 *   "ready" first; the parent kills it at a random moment.
 */

import { promises as fsp, readFileSync } from 'node:fs';
import { writeFileAtomic, type AtomicWriteFs } from '../../../src/node/atomicWrite';

type Stage = 'write' | 'afterOpen' | 'afterSync' | 'beforeRename' | 'afterRename' | 'afterDirSync';

interface Plan {
  readonly mode: 'stage' | 'loop';
  readonly target: string;
  readonly sources: readonly string[];
  readonly stage?: Stage;
  readonly killAt?: number;
  readonly chunk?: number;
}

const plan = JSON.parse(process.argv[2]!) as Plan;

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  for (;;) {
    // SIGKILL is not deliverable late, but nothing may run after it even if it were.
  }
}

function killingFs(stage: Stage, killAt: number, chunk: number): AtomicWriteFs {
  return {
    async open(file, flags, mode) {
      const real = await fsp.open(file, flags, mode);
      const isDirectory = flags === 'r';
      if (!isDirectory && stage === 'afterOpen') die();
      return {
        async write(data, offset, length, position) {
          if (stage === 'write' && position >= killAt) die();
          const n = Math.min(length, chunk, stage === 'write' ? killAt - position : length);
          const r = await real.write(data, offset, n, position);
          if (stage === 'write' && position + r.bytesWritten >= killAt) die();
          return r;
        },
        async sync() {
          await real.sync();
          if (!isDirectory && stage === 'afterSync') die();
          if (isDirectory && stage === 'afterDirSync') die();
        },
        close: () => real.close(),
      };
    },
    async rename(from, to) {
      if (stage === 'beforeRename') die();
      await fsp.rename(from, to);
      if (stage === 'afterRename') die();
    },
    unlink: (file) => fsp.unlink(file),
  };
}

async function main(): Promise<void> {
  const sources = plan.sources.map((s) => new Uint8Array(readFileSync(s)));
  if (plan.mode === 'stage') {
    await writeFileAtomic(plan.target, sources[0]!, { fs: killingFs(plan.stage!, plan.killAt ?? 0, plan.chunk ?? Infinity) });
    process.stdout.write('finished without being killed\n');
    return;
  }
  process.stdout.write('ready\n');
  for (let i = 0; ; i++) await writeFileAtomic(plan.target, sources[i % sources.length]!);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(3);
});
