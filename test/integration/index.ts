/**
 * The mocha runner inside the VS Code extension host (the `extensionTestsPath` entry, design/
 * TESTING.md section 6). The host's console goes to the workbench, not to any stdout, so every
 * reporter line is also appended to $VSCODE_TEST_OUTPUT, and the final stats are written to
 * $VSCODE_TEST_SUMMARY as JSON; the driver prints and counts those. The same `run()` shape is what
 * @vscode/test-electron expects, so this also works on desktop VS Code.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as util from 'util';
import Mocha from 'mocha';

function findTests(dir: string, suffix: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) return findTests(full, suffix);
      return e.isFile() && e.name.endsWith(suffix) ? [full] : [];
    })
    .sort();
}

export async function run(): Promise<void> {
  const outFile = process.env.VSCODE_TEST_OUTPUT;
  const log = (...args: unknown[]): void => {
    const line = util.format(...args);
    console.log(line);
    if (outFile) fs.appendFileSync(outFile, line + '\n');
  };
  Mocha.reporters.Base.consoleLog = log;

  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    color: false,
    timeout: 20_000,
    forbidOnly: Boolean(process.env.CI),
    ...(process.env.VSCODE_TEST_GREP ? { grep: process.env.VSCODE_TEST_GREP } : {}),
  });
  // The driver sets '.bench.js' to run the in-editor benchmarks (npm run bench) instead.
  for (const file of findTests(__dirname, process.env.VSCODE_TEST_SUFFIX ?? '.test.js')) mocha.addFile(file);

  let stats: Mocha.Stats;
  try {
    stats = await new Promise<Mocha.Stats>((resolve) => {
      const runner = mocha.run(() => resolve(runner.stats!));
    });
  } catch (e) {
    // e.g. a test file that throws while loading: say so where the driver will print it
    log(`error: the in-host mocha run could not start: ${e instanceof Error ? e.stack : String(e)}`);
    throw e;
  }
  if (process.env.VSCODE_TEST_SUMMARY) {
    const { passes, failures, pending, tests, suites, duration } = stats;
    fs.writeFileSync(process.env.VSCODE_TEST_SUMMARY, JSON.stringify({ passes, failures, pending, tests, suites, duration }));
  }
  if (stats.failures > 0) throw new Error(`${stats.failures} test(s) failed.`);
  if (!stats.passes) throw new Error('no test ran');
}
