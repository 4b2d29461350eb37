#!/usr/bin/env node
/**
 * `npm run screenshot`: regenerates media/screenshot.png for the README by running the
 * *.shot.ts suite in a real VS Code (the test driver) and photographing the workbench it
 * leaves. Needs what `npm test` installs and builds.
 */

import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const build = spawnSync(process.execPath, [path.join(root, 'esbuild.mjs')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(1);
const { runIntegrationTests } = await import('./vscode-test/driver.mjs');
const out = path.join(root, 'media', 'screenshot.png');
const r = await runIntegrationTests({ suffix: '.shot.js', timeoutMs: 600_000, screenshotTo: out });
if (r.crashed || r.failures > 0) process.exit(1);
console.log(`wrote ${path.relative(root, out)}`);
