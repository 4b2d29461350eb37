/**
 * `npm audit --omit=dev` is clean for what ships (issue 7), checked by scripts/audit.mjs.
 * Where the registry's advisory service cannot be asked (this machine's answers 405), the test
 * reports itself skipped with the reason rather than passing.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const NOT_CHECKED = 3;

describe('shipped dependencies', () => {
  it('have no known vulnerability (npm audit --omit=dev)', function () {
    this.timeout(180_000);
    const r = spawnSync(process.execPath, [path.join(__dirname, '../../scripts/audit.mjs')], { encoding: 'utf8' });
    if (r.status === NOT_CHECKED) {
      this.test!.title += ` — not checked: ${r.stdout.split('\n')[0]}`;
      return this.skip();
    }
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /0 known vulnerabilities/);
  });
});
