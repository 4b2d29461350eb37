// Optional: the same in-host suite on desktop VS Code via @vscode/test-electron, for people with
// internet access (it downloads VS Code). Never used by `npm test` or CI: that package cannot work
// offline (design/TESTING.md, "What failed"). It is deliberately not a devDependency.
// Usage: npm i --no-save @vscode/test-electron && npm run build && node scripts/vscode-test/electron.mjs
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, VSCODE_VERSION } from '../lib/config.mjs';

let runTests;
try {
  ({ runTests } = await import('@vscode/test-electron'));
} catch {
  console.error('@vscode/test-electron is not installed: npm i --no-save @vscode/test-electron (needs internet)');
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
  });
} catch (e) {
  console.error(`!! ${e.message ?? e}`);
  process.exitCode = 1;
} finally {
  fs.rmSync(workspace, { recursive: true, force: true });
}
