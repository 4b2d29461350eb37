// A cross-process lock (mkdir is atomic) so two `npm test`/`npm start` runs in the same checkout
// do not install or build over each other. A lock whose owner process is gone is taken over.
import fs from 'node:fs';
import path from 'node:path';

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
};

export async function withLock(dir, fn, { waitMs = 30 * 60_000 } = {}) {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    try {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let owner = NaN;
      try {
        owner = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8'));
      } catch {
        /* being written */
      }
      if (owner && !alive(owner)) {
        fs.rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`lock ${dir} still held by pid ${owner}`);
      if (!told) {
        console.log(`   waiting for lock ${path.basename(dir)} (held by pid ${owner})`);
        told = true;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
