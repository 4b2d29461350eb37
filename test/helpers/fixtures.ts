/**
 * Where the shared reference fixtures live (../shared/fixtures beside the repo, or
 * $ATTENTION_LENS_FIXTURES). Tests that need one call `requireFixture(this, …)`, which
 * skips the test — visibly — when the fixtures are absent, and never copies them.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

export const FIXTURES_DIR = process.env.ATTENTION_LENS_FIXTURES ?? path.resolve(__dirname, '../../../shared/fixtures');

/** Absolute path of a fixture file, or skips the running test when it is not there. */
export function requireFixture(ctx: Mocha.Context, ...parts: string[]): string {
  const p = path.join(FIXTURES_DIR, ...parts);
  if (!fs.existsSync(p)) ctx.skip();
  return p;
}

export function readFixtureJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}
