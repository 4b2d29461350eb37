// Bundles everything that runs outside the unit tests into dist/:
//   dist/extension.js   the extension host entry (cjs, node20, `vscode` external)
//   dist/worker.js      the worker_threads entry, loaded by path (if src/worker/main.ts exists)
//   dist/webview.js     the dashboard UI (browser iife, if webview/main.ts exists)
//   dist/cli.js         the command-line front end (if src/cli/main.ts exists)
//   dist/test/integration/**  one bundle per in-host test file + the mocha runner
// Usage: node esbuild.mjs [--production] [--watch]. --production minifies and drops sourcemaps.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWasm } from './scripts/build-wasm.mjs';

const root = path.dirname(fileURLToPath(import.meta.url));
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const at = (p) => path.join(root, p);

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
  legalComments: 'none',
};
const nodeCommon = { ...common, platform: 'node', format: 'cjs', target: 'node20' };

function findTests(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(test|bench|soak|shot|l10n)\.ts$/.test(e.name))
    .map((e) => path.join(e.parentPath ?? e.path, e.name))
    .filter((f) => !path.relative(dir, f).split(path.sep).includes('workspace'))
    .sort();
}

/** Each build: [label, entry that must exist (or undefined = always), esbuild options]. */
const integrationDir = at('test/integration');
const builds = [
  [
    'extension',
    'src/host/extension.ts',
    {
      ...nodeCommon,
      entryPoints: [at('src/host/extension.ts')],
      outfile: at('dist/extension.js'),
      external: ['vscode'],
    },
  ],
  [
    'worker',
    'src/worker/main.ts',
    {
      ...nodeCommon,
      entryPoints: [at('src/worker/main.ts')],
      outfile: at('dist/worker.js'),
    },
  ],
  [
    'webview',
    'webview/main.ts',
    {
      ...common,
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      entryPoints: [at('webview/main.ts')],
      outfile: at('dist/webview.js'),
    },
  ],
  [
    'cli',
    'src/cli/main.ts',
    {
      ...nodeCommon,
      entryPoints: [at('src/cli/main.ts')],
      outfile: at('dist/cli.js'),
      banner: { js: '#!/usr/bin/env node' },
    },
  ],
  [
    'integration tests',
    'test/integration/index.ts',
    {
      ...nodeCommon,
      external: ['vscode', 'mocha'],
      entryPoints: [path.join(integrationDir, 'index.ts'), ...findTests(integrationDir)],
      outbase: integrationDir,
      outdir: at('dist/test/integration'),
    },
  ],
];

const active = builds.filter(([label, entry]) => {
  if (production && label === 'integration tests') return false; // never shipped
  if (fs.existsSync(at(entry))) return true;
  console.log(`esbuild: skipping ${label} (${entry} does not exist yet)`);
  return false;
});

// Stale bundles of deleted tests would still be run by the in-host runner.
fs.rmSync(at('dist/test'), { recursive: true, force: true });

const started = Date.now();
try {
  await buildWasm(); // the engine's WASM kernels → src/engine/kernels/generated (a no-op when current)
  if (watch) {
    // The begin/end lines are what .vscode/tasks.json's background problem matcher waits for (F5).
    const announce = (label) => ({
      name: 'watch-log',
      setup(b) {
        b.onStart(() => console.log(`[watch] build started (${label})`));
        b.onEnd((r) => console.log(`[watch] build finished (${label}, ${r.errors.length} errors)`));
      },
    });
    for (const [label, , options] of active) await (await esbuild.context({ ...options, plugins: [...(options.plugins ?? []), announce(label)] })).watch();
    console.log('esbuild: watching for changes (Ctrl-C to stop)');
  } else {
    const results = await Promise.allSettled(active.map(([, , options]) => esbuild.build(options)));
    const failed = active.filter((_, i) => results[i].status === 'rejected').map(([label]) => label);
    if (failed.length) {
      console.error(`esbuild: failed: ${failed.join(', ')}`);
      process.exit(1);
    }
    if (fs.existsSync(at('dist/cli.js'))) fs.chmodSync(at('dist/cli.js'), 0o755);
    console.log(`esbuild: built ${active.map(([l]) => l).join(', ')} in ${Date.now() - started} ms${production ? ' (production)' : ''}`);
  }
} catch (e) {
  console.error(`esbuild: ${e.message}`);
  process.exit(1);
}
