// `npm start`: serves VS Code (the pinned code-server's server-main.js) on 127.0.0.1 with a fresh
// profile, this extension installed (a symlink to the checkout in a fresh extensions dir, so a
// rebuild + "Developer: Reload Window" picks up changes), and a fresh copy of samples/ opened as
// the workspace. Installs what is missing first, then builds. Prints the URL; Ctrl-C stops it.
// Usage: npm start [-- --port 8080]
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, VSCODE_VERSION, fixturesDir } from './lib/config.mjs';
import { onInterrupt, runOrThrow, step, stopWithParent } from './lib/run.mjs';
import { ensureDeps } from './lib/ensureDeps.mjs';
import { ensureApt } from './lib/ensureApt.mjs';
import { codeServerReady, ensureCodeServer } from './lib/ensureCodeServer.mjs';

const argv = process.argv.slice(2);
const portArg = argv.indexOf('--port');
const port = portArg >= 0 ? Number(argv[portArg + 1]) : 8080;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid --port ${argv[portArg + 1]}`);
  process.exit(2);
}

stopWithParent();
await step('npm dependencies', ensureDeps);
if (!codeServerReady()) await step('apt packages for the code-server build', () => ensureApt(['libkrb5-dev', 'ripgrep']));
await step('code-server (VS Code server)', ensureCodeServer);
await step('build', () => runOrThrow(process.execPath, [path.join(ROOT, 'esbuild.mjs')], { cwd: ROOT }));

const { startServer } = await import('./vscode-test/server.mjs');
const runDir = fs.mkdtempSync(path.join('/tmp', 'al-start-'));
const cleanup = () => fs.rmSync(runDir, { recursive: true, force: true });
onInterrupt(cleanup);

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const extensionsDir = path.join(runDir, 'extensions');
fs.mkdirSync(extensionsDir, { recursive: true });
fs.symlinkSync(ROOT, path.join(extensionsDir, `${manifest.publisher}.${manifest.name}-${manifest.version}`));
const workspace = path.join(runDir, 'workspace');
fs.cpSync(path.join(ROOT, 'samples'), workspace, { recursive: true });

const logFile = path.join(runDir, 'server.log');
const server = await step(`serve VS Code ${VSCODE_VERSION}`, () =>
  startServer({
    runDir,
    port,
    logFile,
    env: fixturesDir() ? { ATTENTION_LENS_FIXTURES: fixturesDir() } : {},
  }),
).catch((e) => {
  console.error(`!! ${e.message}`);
  if (fs.existsSync(logFile)) console.error(fs.readFileSync(logFile, 'utf8'));
  cleanup();
  process.exit(1);
});

const url = `http://127.0.0.1:${server.port}/?folder=${encodeURIComponent(workspace).replaceAll('%2F', '/')}`;
console.log(`
   VS Code ${VSCODE_VERSION} with Attention Lens (extension: ${ROOT})
   workspace: ${workspace}
   server log: ${logFile}

   ${url}

   Ctrl-C to stop (the temporary profile and workspace are deleted).`);

const { code, signal } = await server.exited;
console.error(`!! the server exited (${signal ?? 'exit ' + code}); log:\n${fs.readFileSync(logFile, 'utf8')}`);
cleanup();
process.exit(1);
