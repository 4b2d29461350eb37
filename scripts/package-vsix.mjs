// `npm run package`: builds the production bundles (vsce runs `vscode:prepublish`) and writes
// attention-lens-<version>.vsix in the repo root, then lists what went in. .vscodeignore keeps
// it to package.json, dist/*.js, media/ and the docs. Non-interactive (no prompts on CI).
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib/config.mjs';
import { runOrThrow, step } from './lib/run.mjs';
import { ensureDeps } from './lib/ensureDeps.mjs';

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const out = path.join(ROOT, `${manifest.name}-${manifest.version}.vsix`);
const vsce = path.join(ROOT, 'node_modules/@vscode/vsce/vsce');

try {
  await step('npm dependencies', ensureDeps);
  await step('vsce package', () => runOrThrow(process.execPath, [
    vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--out', out,
    ...(fs.readdirSync(ROOT).some(f => /^LICEN[CS]E/i.test(f)) ? [] : ['--skip-license']),
  ], { cwd: ROOT }));
  await step('contents', () => runOrThrow(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: ROOT }));
  console.log(`${path.relative(ROOT, out)} (${(fs.statSync(out).size / 1024).toFixed(1)} KiB)`);
} catch (e) {
  console.error(`!! ${e.message}`);
  process.exit(1);
}
