// `npm run package [-- --out FILE]`: builds the production bundles (vsce runs
// `vscode:prepublish`) and writes attention-lens-<version>.vsix in the repo root (or FILE), then
// lists what went in. .vscodeignore keeps it to package.json, dist/*.js, media/ and the docs.
// Non-interactive (no prompts on CI). `npm test` runs it last, as a check that packaging works.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib/config.mjs';
import { runOrThrow, step } from './lib/run.mjs';
import { ensureDeps } from './lib/ensureDeps.mjs';

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const outAt = process.argv.indexOf('--out');
const out = outAt > 0 && process.argv[outAt + 1] ? path.resolve(process.argv[outAt + 1]) : path.join(ROOT, `${manifest.name}-${manifest.version}.vsix`);
const vsce = path.join(ROOT, 'node_modules/@vscode/vsce/vsce');

try {
  await step('npm dependencies', ensureDeps);
  await step('vsce package', () =>
    runOrThrow(
      process.execPath,
      [
        // The README's picture is media/screenshot.png, inside the package: keep its link relative
        // (vsce would otherwise want a repository URL to rewrite it to).
        vsce,
        'package',
        '--no-dependencies',
        '--allow-missing-repository',
        '--no-rewrite-relative-links',
        '--out',
        out,
        ...(fs.readdirSync(ROOT).some((f) => /^LICEN[CS]E/i.test(f)) ? [] : ['--skip-license']),
      ],
      { cwd: ROOT },
    ),
  );
  await step('contents', () => runOrThrow(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: ROOT }));
  console.log(`${path.relative(ROOT, out)} (${(fs.statSync(out).size / 1024).toFixed(1)} KiB)`);
} catch (e) {
  console.error(`!! ${e.message}`);
  process.exit(1);
}
