// Ensures node_modules matches package-lock.json: `npm ci` when node_modules is missing or the
// lockfile changed since the last install (a hash in .deps-stamp); otherwise does nothing.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { ROOT } from './config.mjs';
import { runOrThrow } from './run.mjs';
import { withLock } from './lock.mjs';

const STAMP = path.join(ROOT, '.deps-stamp');

function wanted() {
  const lock = fs.readFileSync(path.join(ROOT, 'package-lock.json'));
  return `${crypto.createHash('sha256').update(lock).digest('hex')} node-${process.versions.node.split('.')[0]}\n`;
}

export function depsUpToDate() {
  return fs.existsSync(path.join(ROOT, 'node_modules')) && fs.existsSync(STAMP) && fs.readFileSync(STAMP, 'utf8') === wanted();
}

export async function ensureDeps() {
  if (depsUpToDate()) {
    console.log('   node_modules up to date with package-lock.json');
    return;
  }
  await withLock(path.join(ROOT, '.vscode-test', '.lock-deps'), async () => {
    if (depsUpToDate()) return;
    fs.rmSync(STAMP, { force: true });
    await runOrThrow('npm', ['ci', '--no-audit', '--no-fund'], { cwd: ROOT, timeoutMs: 15 * 60_000 });
    fs.writeFileSync(STAMP, wanted());
  });
}
