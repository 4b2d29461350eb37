// Runs one node-side mocha suite (unit or browser tests, TypeScript through tsx) in a child
// process with the spec+summary reporter, and returns its counts. A suite that dies without
// writing a summary, or exits non-zero with no failed test, is reported as crashed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './config.mjs';
import { killGroup, run } from './run.mjs';

// Once mocha has reported, it should exit at once; if it does not, a test left a worker,
// server or timer running. Kill it instead of hanging CI, and report the suite as crashed.
const EXIT_GRACE_MS = 15_000;

const MOCHA = path.join(ROOT, 'node_modules/mocha/bin/mocha.js');
const REPORTER = path.join(ROOT, 'scripts/lib/mochaSummaryReporter.cjs');

/** `args` select the files (e.g. [] to use .mocharc.json, or ['--no-config', ...spec]). */
export async function runMochaSuite(name, args, { grep, env, timeoutMs = 30 * 60_000 } = {}) {
  const summaryFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'al-mocha-')), 'summary.json');
  let watchdog,
    lingered = false;
  const onSpawn = (child) => {
    watchdog = setInterval(() => {
      if (!fs.existsSync(summaryFile)) return;
      clearInterval(watchdog);
      watchdog = setTimeout(() => {
        lingered = true;
        killGroup(child.pid);
      }, EXIT_GRACE_MS);
    }, 250);
  };
  const r = await run(
    process.execPath,
    [
      MOCHA,
      ...args,
      '--reporter',
      REPORTER,
      '--reporter-option',
      `summary=${summaryFile}`,
      ...(process.env.CI ? ['--forbid-only'] : []),
      ...(grep ? ['--grep', grep] : []),
    ],
    { cwd: ROOT, env: { ...process.env, ...env }, timeoutMs, onSpawn },
  );
  clearInterval(watchdog);
  clearTimeout(watchdog);
  const summary = fs.existsSync(summaryFile) ? JSON.parse(fs.readFileSync(summaryFile, 'utf8')) : undefined;
  fs.rmSync(path.dirname(summaryFile), { recursive: true, force: true });
  const how = r.timedOut ? 'timed out' : r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`;
  let reason;
  if (!summary) reason = `mocha ended (${how}) without a summary: it crashed before or while running`;
  else if (lingered) reason = `mocha did not exit ${EXIT_GRACE_MS / 1000}s after its tests ended: something left a worker, server or timer running (killed)`;
  else if (r.code !== 0 && summary.failures === 0) reason = `mocha ${how} although no test failed`;
  if (reason) console.log(`!! ${name} suite crashed: ${reason}`);
  return { passes: summary?.passes ?? 0, failures: summary?.failures ?? 0, pending: summary?.pending ?? 0, crashed: Boolean(reason), reason };
}
