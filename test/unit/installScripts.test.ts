/**
 * A newcomer's `npm ci` prints no "install scripts not yet covered by allowScripts" warnings:
 * every dependency with an install script is approved or denied in package.json's
 * `allowScripts`, and npm itself confirms nothing is left unreviewed.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

describe('set-up: install scripts', function () {
  this.timeout(60_000);
  it("every dependency's install script is reviewed in package.json (npm install-scripts ls)", function () {
    const r = spawnSync('npm', ['install-scripts', 'ls'], { cwd: ROOT, encoding: 'utf8' });
    const out = `${r.stdout}${r.stderr}`;
    // npm before 11 has no install-script review: nothing would warn either.
    if (/Unknown command|not a valid command/i.test(out)) return this.skip();
    assert.equal(r.status, 0, out);
    assert.match(out, /No packages with unreviewed install scripts/);
  });
});
