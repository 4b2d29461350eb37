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
  return cliWith({}, ...args);
}

/** The command and arguments that run the CLI (to spawn it asynchronously, or inside another command). */
export function cliArgv(...args: string[]): [string, string[]] {
  return [process.execPath, ['-r', require.resolve('tsx/cjs'), path.join(REPO_ROOT, 'src/cli/main.ts'), ...args]];
}

export interface CliOptions {
  /** Where stdout goes: a file descriptor (e.g. /dev/full opened for writing); default a pipe. */
  readonly stdoutFd?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Kills a run that hangs (the result then has code -1). */
  readonly timeoutMs?: number;
  readonly cwd?: string;
}

export function cliWith(options: CliOptions, ...args: string[]): Run {
  const [exe, argv] = cliArgv(...args);
  const r = spawnSync(exe, argv, {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', options.stdoutFd ?? 'pipe', 'pipe'],
    env: options.env,
    timeout: options.timeoutMs,
    cwd: options.cwd,
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** The JSON lines of a successful --json run. */
export function jsonLines(run: Run): Record<string, unknown>[] {
  assert.equal(run.code, 0, run.stderr);
  return run.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
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
