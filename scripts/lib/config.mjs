// Shared constants for the build/test scripts: repo paths and the pinned tool versions.
// code-server 4.X.Y bundles VS Code 1.X.Y; engines.vscode and @types/vscode must stay <= that.
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CODE_SERVER_VERSION = '4.100.3';
export const VSCODE_VERSION = '1.' + CODE_SERVER_VERSION.split('.').slice(1).join('.');
export const CS_DIR = path.join(ROOT, '.vscode-test', 'code-server');
export const SERVER_MAIN = path.join(CS_DIR, 'node_modules/code-server/lib/vscode/out/server-main.js');
export const CHROMIUM = '/usr/bin/chromium';
// fonts-wqy-zenhei: a CJK font, so Chinese text renders in Chromium (tests, screenshots) instead of boxes.
export const APT_PACKAGES = ['chromium', 'libkrb5-dev', 'ripgrep', 'fonts-wqy-zenhei'];
export const RESULTS_DIR = path.join(ROOT, 'test-results');

/** ../shared/fixtures beside the repo, if present (read-only reference data for tests). */
export function fixturesDir() {
  const dir = path.resolve(ROOT, '..', 'shared', 'fixtures');
  return fs.existsSync(dir) ? dir : undefined;
}
