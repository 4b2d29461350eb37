// Ensures the Debian packages the tests need (chromium, libkrb5-dev, ripgrep) are installed;
// runs apt-get update + install only for the missing ones, non-interactively.
import path from 'node:path';
import { APT_PACKAGES, ROOT } from './config.mjs';
import { run, runOrThrow } from './run.mjs';
import { withLock } from './lock.mjs';

async function missing(pkgs) {
  const out = [];
  for (const p of pkgs) {
    const r = await run('dpkg-query', ['-W', '-f=${Status}', p], { capture: true, quiet: true });
    if (r.code !== 0 || !r.stdout.includes('install ok installed')) out.push(p);
  }
  return out;
}

export async function ensureApt(pkgs = APT_PACKAGES) {
  if ((await missing(pkgs)).length === 0) {
    console.log(`   apt packages present: ${pkgs.join(' ')}`);
    return;
  }
  await withLock(path.join(ROOT, '.vscode-test', '.lock-apt'), () => install(pkgs));
}

async function install(pkgs) {
  const need = await missing(pkgs);
  if (need.length === 0) return;
  const root = process.getuid?.() === 0;
  if (!root) console.log('   not root: trying sudo -n (install these yourself if it fails)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const cmd = (args) => (root ? [args[0], args.slice(1)] : ['sudo', ['-n', 'env', 'DEBIAN_FRONTEND=noninteractive', ...args]]);
  await runOrThrow(...cmd(['apt-get', 'update']), { env, timeoutMs: 10 * 60_000 });
  await runOrThrow(...cmd(['apt-get', '-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', ...need]), { env, timeoutMs: 15 * 60_000 });
  const still = await missing(pkgs);
  if (still.length) throw new Error(`apt packages still missing: ${still.join(' ')}`);
}
