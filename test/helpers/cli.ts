/**
 * Running the attention-lens CLI as a user would (a real process, from the TypeScript
 * sources through tsx) and reading its JSON contract.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { REPO_ROOT } from './corpus';

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function cli(...args: string[]): Run {
  const r = spawnSync(process.execPath, ['-r', require.resolve('tsx/cjs'), path.join(REPO_ROOT, 'src/cli/main.ts'), ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The JSON lines of a successful --json run. */
export function jsonLines(run: Run): Record<string, unknown>[] {
  assert.equal(run.code, 0, run.stderr);
  return run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The `{"error": {code, message}}` of a failed --json run. */
export function jsonError(run: Run): { code: string; message: string } {
  assert.notEqual(run.code, 0, run.stdout);
  return (JSON.parse(run.stderr.trim()) as { error: { code: string; message: string } }).error;
}

export function maxAbsDiff(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
}
