#!/usr/bin/env node
/**
 * `npm run screenshot`: regenerates the README's pictures by running the *.shot.ts suites in a
 * real VS Code (the test driver) and photographing the workbench each leaves: media/screenshot.png
 * (a model trained on an English sample), media/screenshot-zh.png (on a Chinese text, with VS Code
 * in its zh-cn display language; needs the CJK font the set-up installs), media/screenshot-sidebar.png
 * and media/screenshot-walkthrough.png. `-- --only NAME` (en, zh, sidebar, walkthrough) makes one of them. Needs what `npm test`
 * installs and builds.
 */

import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHOTS = [
  { name: 'en', grep: 'README screenshot trains', file: 'screenshot.png' },
  // In VS Code's zh-cn display language: the extension's own UI (hover, status bar, dashboard) is in Chinese.
  { name: 'zh', grep: 'README screenshot in Chinese', file: 'screenshot-zh.png', locale: 'zh-cn' },
  { name: 'sidebar', grep: 'README screenshot of the sidebar', file: 'screenshot-sidebar.png' },
  { name: 'walkthrough', grep: 'README screenshot of the walkthrough', file: 'screenshot-walkthrough.png' },
];
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
const build = spawnSync(process.execPath, [path.join(root, 'esbuild.mjs')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(1);
const { runIntegrationTests } = await import('./vscode-test/driver.mjs');
for (const shot of SHOTS.filter((s) => !only || s.name === only)) {
  const out = path.join(root, 'media', shot.file);
  const r = await runIntegrationTests({ suffix: '.shot.js', grep: shot.grep, timeoutMs: 600_000, screenshotTo: out, locale: shot.locale ?? null });
  if (r.crashed || r.failures > 0) process.exit(1);
  console.log(`wrote ${path.relative(root, out)}`);
}
