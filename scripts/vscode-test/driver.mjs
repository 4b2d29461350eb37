// Runs the in-host integration tests (dist/test/integration) inside a real VS Code extension host:
// starts server-main.js with a private profile, opens the workbench in headless chromium with the
// extension-development payload, waits for window.codeAutomationExit, then prints the mocha output
// and returns the counts from $VSCODE_TEST_SUMMARY. design/TESTING.md sections 5-6.
// Standalone: node scripts/vscode-test/driver.mjs [--grep PATTERN] [--timeout SECONDS] [--keep]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, RESULTS_DIR, VSCODE_VERSION, fixturesDir } from '../lib/config.mjs';
import { onInterrupt } from '../lib/run.mjs';
import { startServer } from './server.mjs';
import { launchChromium, workbenchUrl } from './browser.mjs';

const TESTS_ENTRY = path.join(ROOT, 'dist/test/integration/index.js');
const WORKSPACE_FIXTURE = path.join(ROOT, 'test/integration/workspace');

/**
 * Resolves { passes, failures, pending, crashed, reason }. `crashed` means no trustworthy counts
 * (no summary, timeout, server or browser died): the caller must treat the run as failed.
 */
export async function runIntegrationTests({
  grep,
  timeoutMs = 300_000,
  keep = false,
  workspace = WORKSPACE_FIXTURE,
  suffix = '.test.js',
  screenshotTo = null,
  locale = null,
  workspaceSettings = null,
} = {}) {
  const t0 = Date.now();
  const say = (msg) => console.log(`[vscode-test +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
  if (!fs.existsSync(TESTS_ENTRY)) return crashed(`${path.relative(ROOT, TESTS_ENTRY)} missing: run the build first`);

  // Short, private dir: it is also TMPDIR, and unix socket paths are limited to 107 bytes.
  const runDir = fs.mkdtempSync(path.join('/tmp', 'vsct-'));
  const removeRunDir = () => {
    if (!keep) fs.rmSync(runDir, { recursive: true, force: true });
  };
  onInterrupt(removeRunDir);
  const files = {
    server: path.join(runDir, 'server.log'),
    workbench: path.join(runDir, 'workbench.log'),
    mocha: path.join(runDir, 'mocha.log'),
    summary: path.join(runDir, 'summary.json'),
  };
  const folder = path.join(runDir, 'workspace');
  fs.cpSync(workspace, folder, { recursive: true });
  if (workspaceSettings) {
    fs.mkdirSync(path.join(folder, '.vscode'), { recursive: true });
    fs.writeFileSync(path.join(folder, '.vscode', 'settings.json'), JSON.stringify(workspaceSettings, null, 2));
  }
  fs.writeFileSync(files.mocha, '');

  const shot = { ready: path.join(runDir, 'shot.ready'), done: path.join(runDir, 'shot.done') };
  const env = {
    ...(screenshotTo ? { ATTENTION_LENS_SHOT_READY: shot.ready, ATTENTION_LENS_SHOT_DONE: shot.done } : {}),
    VSCODE_TEST_OUTPUT: files.mocha,
    VSCODE_TEST_SUMMARY: files.summary,
    ATTENTION_LENS_EXPECTED_VSCODE: VSCODE_VERSION,
    ...(grep ? { VSCODE_TEST_GREP: grep } : {}),
    VSCODE_TEST_SUFFIX: suffix, // '.bench.js' runs the in-editor benchmarks instead of the tests
    ...(fixturesDir() ? { ATTENTION_LENS_FIXTURES: fixturesDir() } : {}),
  };
  let server, browser, result, workbenchLog;
  try {
    const localeArgs = locale ? ['--locale', installDisplayLanguage(runDir, locale)] : [];
    server = await startServer({ runDir, env, logFile: files.server, extraArgs: ['--enable-smoke-test-driver', ...localeArgs] });
    say(`vscode-server ${VSCODE_VERSION} listening on 127.0.0.1:${server.port} (pid ${server.pid})`);

    browser = await launchChromium(runDir);
    const { page } = browser;
    workbenchLog = fs.createWriteStream(files.workbench);
    let finish;
    const done = new Promise((resolve) => {
      finish = resolve;
    });
    await page.exposeFunction('codeAutomationExit', (code) => finish({ code }));
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      workbenchLog.write(`[${type}] ${(Array.isArray(args) ? args : [args]).join(' ')}\n`);
    });
    page.on('pageerror', (e) => workbenchLog.write(`[pageerror] ${e.stack ?? e}\n`));
    page.on('crash', () => finish({ error: 'the workbench page crashed' }));
    server.exited.then(({ code, signal }) => finish({ error: `the server exited (${signal ?? 'exit ' + code})` }));

    const a = `127.0.0.1:${server.port}`;
    const payload = [
      ['extensionDevelopmentPath', `vscode-remote://${a}${ROOT}`],
      ['extensionTestsPath', `vscode-remote://${a}${TESTS_ENTRY}`],
      ['skipWelcome', 'true'],
      ['skipReleaseNotes', 'true'],
    ];
    say(`opening workbench (extension ${ROOT}, workspace ${folder})`);
    await page.goto(workbenchUrl(server.port, folder, payload));

    const timer = setTimeout(() => finish({ error: `timed out after ${timeoutMs / 1000}s`, timeout: true }), timeoutMs);
    // The README's picture is taken while the suite waits (its decorations vanish with the host).
    const shooting = screenshotTo ? photographWhenAsked(page, shot, screenshotTo, done) : null;
    result = await done;
    clearTimeout(timer);
    await shooting;
    if (result.timeout) await screenshot(page, 'timeout');
    say(result.error ? `test run did not finish: ${result.error}` : `extension host test run finished with exit code ${result.code}`);
  } catch (e) {
    result = { error: e.message };
  } finally {
    await browser?.context.close().catch(() => {});
    await server?.stop();
    await new Promise((r) => (workbenchLog ? workbenchLog.end(r) : r()));
  }

  const out = fs.readFileSync(files.mocha, 'utf8');
  process.stdout.write(out.endsWith('\n') || !out ? out : out + '\n');
  const summary = fs.existsSync(files.summary) ? JSON.parse(fs.readFileSync(files.summary, 'utf8')) : undefined;
  const reason =
    result.error ??
    (!summary
      ? `no summary written (runner exit code ${result.code}); the host or the runner crashed`
      : result.code !== 0 && summary.failures === 0
        ? `runner exit code ${result.code} with no failed test${summary.passes ? '' : ' (no test ran)'}`
        : undefined);
  saveLogs(files, Boolean(reason)); // test failures speak for themselves; crashes need the logs
  removeRunDir();
  if (reason) return crashed(reason, summary ?? countFromOutput(out));
  return { passes: summary.passes, failures: summary.failures, pending: summary.pending, crashed: false };
}

/**
 * Makes `locale` (e.g. 'zh-cn') the workbench's display language, so `vscode.env.language` is it and
 * VS Code loads the extension's package.nls.<locale>.json and l10n/bundle.l10n.<locale>.json. The
 * server takes the language from `--locale`, but only uses a language that a language pack in the
 * profile's languagepacks.json provides (vs/base/node/nls.ts); Microsoft's packs come from the
 * Marketplace, which is out of reach, so this registers a stand-in pack with no translations of
 * its own: VS Code's own strings stay English, everything else follows the locale.
 */
function installDisplayLanguage(runDir, locale) {
  const userData = path.join(runDir, 'user-data');
  const pack = path.join(runDir, 'language-pack');
  fs.mkdirSync(userData, { recursive: true });
  fs.mkdirSync(pack, { recursive: true });
  const main = path.join(pack, 'main.i18n.json');
  fs.writeFileSync(main, JSON.stringify({ version: '1.0.0', contents: {} }));
  // `extensions` names the pack's extension: the workbench asks which extension provides the locale.
  const id = `attention-lens-test.language-pack-${locale}`;
  const entry = { hash: id, extensions: [{ extensionIdentifier: { id }, version: '1.0.0' }], translations: { vscode: main }, label: locale };
  fs.writeFileSync(path.join(userData, 'languagepacks.json'), JSON.stringify({ [locale]: entry }));
  return locale;
}

/** Polls for the suite's "ready" file, takes the screenshot, then writes "done" so the suite can end. */
async function photographWhenAsked(page, shot, to, finished) {
  let over = false;
  finished.then(() => {
    over = true;
  });
  while (!over) {
    if (fs.existsSync(shot.ready)) {
      await page.screenshot({ path: to });
      fs.writeFileSync(shot.done, '');
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function crashed(reason, summary) {
  console.log(`!! integration tests crashed: ${reason}`);
  return { passes: summary?.passes ?? 0, failures: summary?.failures ?? 0, pending: summary?.pending ?? 0, crashed: true, reason };
}

/** Partial counts from the spec output when the run died before writing its summary. */
function countFromOutput(out) {
  const count = (re) => (out.match(re) ?? []).length;
  return { passes: count(/^\s+✔ /gm), failures: count(/^\s+\d+\) /gm), pending: count(/^\s+- /gm) };
}

async function screenshot(page, name) {
  const file = path.join(RESULTS_DIR, 'integration', `${name}.png`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file }).then(
    () => console.log(`   screenshot: ${path.relative(ROOT, file)}`),
    () => {},
  );
}

/** Keeps the logs in test-results/integration; after a crash prints the end of each. */
function saveLogs(files, crashed) {
  const dest = path.join(RESULTS_DIR, 'integration');
  fs.mkdirSync(dest, { recursive: true });
  for (const f of Object.values(files)) if (fs.existsSync(f)) fs.copyFileSync(f, path.join(dest, path.basename(f)));
  if (!crashed) return;
  for (const f of [files.server, files.workbench]) {
    if (!fs.existsSync(f)) continue;
    const lines = fs.readFileSync(f, 'utf8').trimEnd().split('\n');
    console.log(`--- last ${Math.min(40, lines.length)} lines of ${path.basename(f)} (full: ${path.relative(ROOT, path.join(dest, path.basename(f)))})`);
    console.log(lines.slice(-40).join('\n'));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const r = await runIntegrationTests({
    grep: arg('--grep') ?? process.env.TEST_GREP,
    timeoutMs: Number(arg('--timeout') ?? 300) * 1000,
    keep: process.argv.includes('--keep'),
  });
  console.log(`${r.passes} passed, ${r.failures + (r.crashed ? 1 : 0)} failed${r.pending ? `, ${r.pending} skipped` : ''}`);
  process.exit(r.crashed || r.failures > 0 || r.passes === 0 ? 1 : 0);
}
