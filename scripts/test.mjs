// `npm test`: the one test command. From a clean clone (Node 20 + npm, root, no stdin) it installs
// what is missing (npm deps, apt packages, code-server), typechecks, builds, runs the unit tests,
// the browser tests (if any), and the integration tests inside a real VS Code extension host.
// With no suite flag it ends by packaging the .vsix (production bundles into dist/, so it runs
// after everything that uses the development bundles), counted as one check.
// The last line is always `N passed, N failed[, N skipped]` (a crashed suite, a failed typecheck,
// build or install each count as one failure); the exit code is non-zero on any failure or if no
// test ran.
// Usage: npm test [-- --unit] [-- --browser] [-- --integration]   (default: all); env TEST_GREP.
// Every run also checks the formatting (Prettier), counted as one check.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, fixturesDir } from './lib/config.mjs';
import { elapsed, run, step, stepTimings } from './lib/run.mjs';
import { ensureDeps } from './lib/ensureDeps.mjs';
import { ensureApt } from './lib/ensureApt.mjs';
import { ensureCodeServer } from './lib/ensureCodeServer.mjs';
import { runMochaSuite } from './lib/mochaSuite.mjs';
import { withLock } from './lib/lock.mjs';

const flags = new Set(process.argv.slice(2));
for (const f of flags) {
  if (!['--unit', '--browser', '--integration'].includes(f)) {
    console.error(`unknown option ${f}; use --unit, --browser and/or --integration`);
    process.exit(2);
  }
}
const all = flags.size === 0;
const want = { unit: all || flags.has('--unit'), browser: all || flags.has('--browser'), integration: all || flags.has('--integration') };
const grep = process.env.TEST_GREP || undefined;
// The describe title of test/integration/l10n/zhCn.l10n.ts: a TEST_GREP that matches it runs that suite too.
const ZH_CN_SUITE = 'the extension in Simplified Chinese (zh-cn)';
if (fixturesDir()) process.env.ATTENTION_LENS_FIXTURES = fixturesDir();

const listTests = (dir) => {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) return [];
  return fs.readdirSync(abs, { recursive: true }).filter((f) => String(f).endsWith('.test.ts'));
};
const browserTests = listTests('test/browser');
const needsHost = want.integration;
const needsChromium = needsHost || (want.browser && browserTests.length > 0);

// Another `npm test` in this checkout must not rebuild dist/ while our extension host loads it.
const DIST_LOCK = path.join(ROOT, '.vscode-test', '.lock-dist');

const problems = []; // non-test failures (typecheck, build, install)
const suites = []; // [name, { passes, failures, pending, crashed, reason }]

async function main() {
  await step('npm dependencies', ensureDeps);
  // Without chromium or code-server the other suites can still run: record, don't abort.
  let hostReady = true;
  const tryEnsure = (what, fn) =>
    fn().catch((e) => {
      console.error(`!! ${e.message}`);
      problems.push(`${what} could not be installed`);
      hostReady = false;
    });
  if (needsChromium) await step('apt packages', () => tryEnsure('apt packages', ensureApt));
  if (needsHost && hostReady) await step('code-server (VS Code server)', () => tryEnsure('code-server', ensureCodeServer));

  await step('typecheck', async () => {
    const r = await run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', '.'], { cwd: ROOT });
    if (r.code !== 0) problems.push('typecheck failed');
  });
  // The formatter's verdict (config in .prettierrc.json, exclusions in .prettierignore), counted as one check.
  await step('formatting (prettier --check)', async () => {
    const r = await run(process.execPath, [path.join(ROOT, 'node_modules/prettier/bin/prettier.cjs'), '--check', '.', '--log-level', 'warn'], { cwd: ROOT });
    if (r.code !== 0) console.log('   run `npm run format` to format the files listed above');
    suites.push(['format', { passes: r.code === 0 ? 1 : 0, failures: r.code === 0 ? 0 : 1, pending: 0, crashed: false }]);
  });
  let built = false;
  await step('build', () =>
    withLock(DIST_LOCK, async () => {
      const r = await run(process.execPath, [path.join(ROOT, 'esbuild.mjs')], { cwd: ROOT });
      if (r.code !== 0) problems.push('build failed');
      else built = true;
    }),
  );

  if (want.unit) {
    await step('unit tests', async () => {
      if (listTests('test/unit').length === 0) return console.log('   no test/unit/**/*.test.ts yet');
      suites.push(['unit', await runMochaSuite('unit', [], { grep })]);
    });
  }
  if (want.browser) {
    await step('browser tests', async () => {
      if (browserTests.length === 0) return console.log('   no test/browser/**/*.test.ts yet');
      suites.push([
        'browser',
        await runMochaSuite('browser', ['--no-config', '--require', 'tsx/cjs', '--timeout', '60000', '--recursive', 'test/browser/**/*.test.ts'], { grep }),
      ]);
    });
  }
  if (want.integration) {
    await step('integration tests in the VS Code extension host', async () => {
      if (!hostReady) return console.log('   skipped: the VS Code server or chromium is missing (see above)');
      if (!built) return suites.push(['integration', { passes: 0, failures: 0, pending: 0, crashed: true, reason: 'not built' }]);
      const { runIntegrationTests } = await import('./vscode-test/driver.mjs');
      // A guard against a hung host, not a time budget: a loaded 2-core machine takes 4–6 minutes.
      const timeoutMs = Number(process.env.VSCODE_TEST_TIMEOUT ?? 900) * 1000;
      suites.push(['integration', await withLock(DIST_LOCK, () => runIntegrationTests({ grep, timeoutMs }))]);
      // The same extension in VS Code's Simplified Chinese: a second, short host run (one start, a
      // few seconds of tests) with the display language zh-cn, of test/integration/l10n/*.l10n.ts.
      if (!grep || new RegExp(grep).test(ZH_CN_SUITE)) {
        suites.push(['integration (zh-cn)', await withLock(DIST_LOCK, () => runIntegrationTests({ grep, timeoutMs, suffix: '.l10n.js', locale: 'zh-cn' }))]);
      }
    });
  }
  if (all && !grep) {
    await step('package the .vsix', () =>
      withLock(DIST_LOCK, async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attention-lens-vsix-'));
        const vsix = path.join(dir, 'attention-lens.vsix');
        const r = await run(process.execPath, [path.join(ROOT, 'scripts/package-vsix.mjs'), '--out', vsix], {
          cwd: ROOT,
          logTo: path.join(dir, 'package.log'),
        });
        const ok = r.code === 0 && fs.existsSync(vsix);
        if (!ok) console.log(fs.readFileSync(path.join(dir, 'package.log'), 'utf8').split('\n').slice(-20).join('\n'));
        suites.push(['package', { passes: ok ? 1 : 0, failures: ok ? 0 : 1, pending: 0, crashed: false }]);
        fs.rmSync(dir, { recursive: true, force: true });
      }),
    );
  }
}

try {
  await main();
} catch (e) {
  console.error(`!! ${e.stack ?? e.message}`);
  problems.push(`aborted: ${e.message.split('\n')[0]}`);
}

const total = { passes: 0, failures: 0, pending: 0 };
console.log(`== done (${elapsed()}s)`);
console.log(stepTimings());
for (const [name, s] of suites) {
  total.passes += s.passes;
  total.pending += s.pending;
  total.failures += s.failures + (s.crashed ? 1 : 0); // a crashed suite counts as one failure
  console.log(`   ${name}: ${s.passes} passed, ${s.failures} failed, ${s.pending} skipped${s.crashed ? ` -- CRASHED: ${s.reason}` : ''}`);
}
// A failed typecheck, build or install is a failure too, so the last line never says "0 failed" then.
total.failures += problems.length;
for (const p of problems) console.log(`!! ${p}`);
if (total.passes + total.failures === 0) {
  problems.push('no test ran');
  console.log('!! no test ran');
}
console.log(`${total.passes} passed, ${total.failures} failed${total.pending ? `, ${total.pending} skipped` : ''}`);
process.exit(problems.length || total.failures ? 1 : 0);
