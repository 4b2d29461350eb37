// Installs the pinned code-server (a full VS Code server with the Node extension host) into
// .vscode-test/code-server, offline-safe, exactly per design/TESTING.md section 3: fetch without
// scripts, seed @vscode/ripgrep's download cache with Debian's rg, then run the native builds.
// A .stamp holding the versions makes later runs a no-op.
import fs from 'node:fs';
import path from 'node:path';
import { CODE_SERVER_VERSION, CS_DIR, SERVER_MAIN, ROOT } from './config.mjs';
import { run, runOrThrow } from './run.mjs';
import { withLock } from './lock.mjs';

const STAMP = path.join(CS_DIR, '.stamp');
const LOG = path.join(ROOT, '.vscode-test', 'code-server-install.log');
const wanted = () => `code-server@${CODE_SERVER_VERSION} node-${process.versions.node.split('.')[0]}\n`;

export function codeServerReady() {
  return fs.existsSync(SERVER_MAIN) && fs.existsSync(STAMP) && fs.readFileSync(STAMP, 'utf8') === wanted();
}

export async function ensureCodeServer() {
  if (codeServerReady()) {
    console.log(`   code-server ${CODE_SERVER_VERSION} already installed`);
    return;
  }
  await withLock(path.join(ROOT, '.vscode-test', '.lock-code-server'), async () => {
    if (!codeServerReady()) await install();
  });
}

async function install() {
  fs.rmSync(CS_DIR, { recursive: true, force: true });
  const tmp = path.join(CS_DIR, 'tmp');
  fs.mkdirSync(tmp, { recursive: true });
  fs.writeFileSync(
    path.join(CS_DIR, 'package.json'),
    JSON.stringify(
      {
        name: 'vscode-test-code-server',
        private: true,
        dependencies: { 'code-server': CODE_SERVER_VERSION },
      },
      null,
      2,
    ),
  );
  const env = { ...process.env, TMPDIR: tmp };
  await runOrThrow('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: CS_DIR, env, timeoutMs: 15 * 60_000 });

  // @vscode/ripgrep's postinstall looks in $TMPDIR/vscode-ripgrep-cache-<ver> before GitHub.
  const shrinkwrap = JSON.parse(fs.readFileSync(path.join(CS_DIR, 'node_modules/code-server/lib/vscode/npm-shrinkwrap.json'), 'utf8'));
  const rgVersion = shrinkwrap.packages['node_modules/@vscode/ripgrep']?.version;
  if (rgVersion) await seedRipgrep(rgVersion, tmp, env);

  console.log(`   building native modules (log: ${path.relative(ROOT, LOG)})`);
  // unsafe_perm: postinstall.sh refuses to run as root without it; yes: node-pty runs `npx node-gyp`.
  const r = await run('npm', ['rebuild', '--foreground-scripts'], {
    cwd: CS_DIR,
    logTo: LOG,
    timeoutMs: 20 * 60_000,
    env: { ...env, npm_config_unsafe_perm: 'true', npm_config_yes: 'true' },
  });
  if (r.code !== 0 || !fs.existsSync(SERVER_MAIN)) {
    const tail = fs.readFileSync(LOG, 'utf8').split('\n').slice(-40).join('\n');
    throw new Error(`code-server install failed (npm rebuild ${r.timedOut ? 'timed out' : 'exit ' + r.code}); last lines of ${LOG}:\n${tail}`);
  }
  // postinstall.sh can log a failed sub-build and still exit 0: check what the server loads.
  const vsNm = path.join(CS_DIR, 'node_modules/code-server/lib/vscode/node_modules');
  const missing = ['node-pty/build/Release/pty.node', '@vscode/spdlog/build/Release/spdlog.node', '@vscode/ripgrep/bin/rg'].filter(
    (f) => !fs.existsSync(path.join(vsNm, f)),
  );
  if (missing.length) throw new Error(`code-server install incomplete, missing ${missing.join(', ')}; see ${LOG}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.writeFileSync(STAMP, wanted());
}

async function seedRipgrep(version, tmp, env) {
  const pack = path.join(tmp, 'p');
  fs.mkdirSync(pack, { recursive: true });
  await runOrThrow('npm', ['pack', `@vscode/ripgrep@${version}`, '--silent'], { cwd: pack, env });
  const tgz = fs.readdirSync(pack).find((f) => f.endsWith('.tgz'));
  await runOrThrow('tar', ['xzf', tgz], { cwd: pack });
  const src = fs.readFileSync(path.join(pack, 'package/lib/postinstall.js'), 'utf8');
  const tag = /^const VERSION = '(.*)';/m.exec(src)?.[1];
  if (!tag) throw new Error('could not find the ripgrep release tag in @vscode/ripgrep postinstall.js');
  const rgBin = '/usr/bin/rg';
  if (!fs.existsSync(rgBin)) throw new Error(`${rgBin} missing: install the Debian ripgrep package`);
  const stage = path.join(tmp, 'rg');
  const cache = path.join(tmp, `vscode-ripgrep-cache-${version}`);
  fs.mkdirSync(stage, { recursive: true });
  fs.mkdirSync(cache, { recursive: true });
  fs.copyFileSync(rgBin, path.join(stage, 'rg'));
  fs.chmodSync(path.join(stage, 'rg'), 0o755);
  const arch = { x64: 'x86_64', arm64: 'aarch64' }[process.arch] ?? process.arch;
  await runOrThrow('tar', ['czf', path.join(cache, `ripgrep-${tag}-${arch}-unknown-linux-musl.tar.gz`), '-C', stage, 'rg'], {});
  console.log(`   seeded ripgrep cache ${version} (${tag}) with ${rgBin}`);
}
