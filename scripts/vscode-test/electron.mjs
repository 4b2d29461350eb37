// `npm run test:desktop`: the same in-host suite on desktop VS Code via @vscode/test-electron (a
// devDependency), for people with internet access (it downloads VS Code on first use). Never used
// by `npm test` or CI: that download cannot work offline (design/TESTING.md, "What failed").
// Usage: npm run test:desktop   (builds, then runs dist/test/integration in a downloaded VS Code)
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, VSCODE_VERSION } from '../lib/config.mjs';

let runTests;
try {
  ({ runTests } = await import('@vscode/test-electron'));
} catch {
  console.error('@vscode/test-electron is not installed: run npm install (it is a devDependency)');
  process.exit(2);
}
const workspace = fs.mkdtempSync(path.join('/tmp', 'al-electron-'));
fs.cpSync(path.join(ROOT, 'test/integration/workspace'), workspace, { recursive: true });
try {
  await runTests({
    version: VSCODE_VERSION,
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: path.join(ROOT, 'dist/test/integration/index.js'),
    launchArgs: [workspace, '--disable-extensions'],
    extensionTestsEnv: { ATTENTION_LENS_FIXTURES: path.resolve(ROOT, '../shared/fixtures') },
  });
} catch (e) {
  console.error(`!! ${e.message ?? e}`);
  process.exitCode = 1;
} finally {
  fs.rmSync(workspace, { recursive: true, force: true });
}
