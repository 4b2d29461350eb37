// Starts VS Code's own server entry (server-main.js inside the pinned code-server package) on
// 127.0.0.1 with a private profile under `runDir`, and resolves once it listens. Used by the
// in-host test driver and by `npm start`. design/TESTING.md section 5.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SERVER_MAIN } from '../lib/config.mjs';
import { killGroup, trackGroup, untrackGroup } from '../lib/run.mjs';

/** Private HOME/XDG/TMPDIR so neither the server nor chromium touches the real home. */
export function privateEnv(runDir, extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    // Variables from a surrounding VS Code terminal would make the server think it is nested.
    if (!/^(VSCODE_|ELECTRON_)/.test(k)) env[k] = v;
  }
  const dirs = { HOME: 'home', XDG_CONFIG_HOME: 'home/.config', XDG_DATA_HOME: 'home/.local/share', XDG_CACHE_HOME: 'home/.cache' };
  for (const [k, d] of Object.entries(dirs)) {
    env[k] = path.join(runDir, d);
    fs.mkdirSync(env[k], { recursive: true });
  }
  return { ...env, TMPDIR: runDir, EXTENSIONS_GALLERY: '{"serviceUrl":""}', ...extra };
}

/**
 * Resolves { port, pid, stop(), exited } once "Extension host agent listening on <port>" appears.
 * Server stdout+stderr go to `logFile`. `port` 0 picks a free one.
 */
export function startServer({ runDir, port = 0, env = {}, logFile, extraArgs = [], startTimeoutMs = 60_000 }) {
  const args = [
    SERVER_MAIN,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--without-connection-token',
    '--accept-server-license-terms',
    '--user-data-dir',
    path.join(runDir, 'user-data'),
    '--server-data-dir',
    path.join(runDir, 'server-data'),
    '--extensions-dir',
    path.join(runDir, 'extensions'),
    '--disable-telemetry',
    '--disable-workspace-trust',
    ...extraArgs,
  ];
  const log = fs.createWriteStream(logFile);
  const child = spawn(process.execPath, args, { env: privateEnv(runDir, env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  trackGroup(child.pid);
  const exited = new Promise((resolve) =>
    child.on('close', (code, signal) => {
      untrackGroup(child.pid);
      resolve({ code, signal });
    }),
  );
  const stop = async () => {
    killGroup(child.pid, 3000);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* the whole group is gone */
    }
    log.end();
  };
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`server did not start within ${startTimeoutMs / 1000}s; see ${logFile}`));
    }, startTimeoutMs);
    const onData = (d) => {
      log.write(d);
      if (seen === null) return;
      seen += d;
      const m = /Extension host agent listening on (\d+)/.exec(seen);
      if (m) {
        seen = null;
        clearTimeout(timer);
        resolve({ port: Number(m[1]), pid: child.pid, stop, exited });
      } else if (/EADDRINUSE/.test(seen)) {
        clearTimeout(timer);
        stop();
        reject(new Error(`port ${port} is already in use`));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      if (seen !== null) reject(new Error(`server exited before listening (${signal ?? 'exit ' + code}); see ${logFile}`));
    });
  });
}
