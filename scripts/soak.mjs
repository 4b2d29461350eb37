#!/usr/bin/env node
/**
 * `npm run soak [-- --steps N]`: the long run of issue 7 inside a real VS Code extension host
 * (the test driver with the *.soak.ts suite): `small` trains for N steps (default 5,000, about
 * two hours on 2 cores) while the cursor moves every 100 ms; prints host lag percentiles and
 * memory growth after warm-up. Needs what `npm test` installs and builds.
 */

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const i = argv.indexOf('--steps');
if (i >= 0) process.env.ATTENTION_LENS_SOAK_STEPS = String(Number(argv[i + 1]));
const build = spawnSync(process.execPath, [path.join(root, 'esbuild.mjs')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(1);
const { runIntegrationTests } = await import('./vscode-test/driver.mjs');
const r = await runIntegrationTests({ suffix: '.soak.js', timeoutMs: 6 * 3600_000 });
process.exitCode = r.crashed || r.failures > 0 ? 1 : 0;
