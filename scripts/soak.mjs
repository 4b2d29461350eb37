#!/usr/bin/env node
/**
 * `npm run soak [-- --steps N] [--preset P] [--threads K] [--no-port-scan] [--profile DIR]
 * [--snapshots DIR]`: the long run of issue 7 inside a real VS Code extension host (the test
 * driver with the *.soak.ts suite): preset P (default `small`) trains for N steps (default
 * 5,000, about 40 minutes on 2 cores) while the cursor moves every 100 ms; prints host lag
 * percentiles and memory (after a full collection) sampled through the run.
 * --threads runs the engine on K compute threads (default: the setting's automatic choice).
 * --no-port-scan turns off VS Code's remote port forwarding for the run: in a remote extension
 * host (code-server, as here) it forks the host process every few seconds to list sockets
 * (`ls -l /proc/N/fd`, `ps`), which stalls the host 100–250 ms when the process is big (the
 * host CPU profile shows it), whatever the extension does.
 * --profile writes a CPU profile of the host's thread into DIR and prints its top functions.
 * --snapshots writes heap snapshots at warm-up and at the end into DIR.
 * Needs what `npm test` installs and builds.
 */

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
if (option('--steps')) process.env.ATTENTION_LENS_SOAK_STEPS = String(Number(option('--steps')));
if (option('--preset')) process.env.ATTENTION_LENS_SOAK_PRESET = option('--preset');
if (option('--threads')) process.env.ATTENTION_LENS_SOAK_THREADS = String(Number(option('--threads')));
for (const [flag, name] of [
  ['--profile', 'PROFILE'],
  ['--snapshots', 'SNAPSHOTS'],
]) {
  if (!option(flag)) continue;
  const dir = path.resolve(option(flag));
  mkdirSync(dir, { recursive: true });
  process.env[`ATTENTION_LENS_SOAK_${name}`] = dir;
}
const build = spawnSync(process.execPath, [path.join(root, 'esbuild.mjs')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(1);
const { runIntegrationTests } = await import('./vscode-test/driver.mjs');
const workspaceSettings = argv.includes('--no-port-scan') ? { 'remote.autoForwardPorts': false } : null;
if (workspaceSettings) console.log('soak: remote.autoForwardPorts off for this run');
const r = await runIntegrationTests({ suffix: '.soak.js', timeoutMs: 6 * 3600_000, workspaceSettings });
process.exitCode = r.crashed || r.failures > 0 ? 1 : 0;
