/**
 * Helpers for the in-host integration tests (test/integration): finding our extension, polling
 * for asynchronous editor state, and locating the shared fixtures the driver points us at.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'attention-lens.attention-lens';

/** Our extension, activated. Fails loudly if VS Code did not load it (e.g. engines.vscode too new). */
export async function activeExtension(): Promise<vscode.Extension<unknown>> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) {
    throw new Error(`extension ${EXTENSION_ID} is not loaded in VS Code ${vscode.version}` + ' (check engines.vscode and the server log)');
  }
  await ext.activate();
  return ext;
}

/** Polls `probe` until it returns a truthy value (returned) or `timeoutMs` passes (throws). */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 10_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The folder opened as the workspace (a temp copy of test/integration/workspace). */
export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('no workspace folder is open');
  return folder.uri;
}

/** ../shared/fixtures (set by the driver as ATTENTION_LENS_FIXTURES), or undefined if absent. */
export function fixturesDir(): string | undefined {
  const dir = process.env.ATTENTION_LENS_FIXTURES;
  return dir && fs.existsSync(dir) ? dir : undefined;
}

/** Absolute path of a file under the shared fixtures; throws if fixtures are not available. */
export function fixture(...parts: string[]): string {
  const dir = fixturesDir();
  if (!dir) throw new Error('ATTENTION_LENS_FIXTURES is not set or does not exist');
  return path.join(dir, ...parts);
}

/**
 * A line for the run's printed output. console.* inside the extension host goes to the
 * workbench, not to the terminal, so measurements are appended to the mocha log the driver prints.
 */
export function report(line: string): void {
  const out = process.env.VSCODE_TEST_OUTPUT;
  if (out) fs.appendFileSync(out, `${line}\n`);
  else console.log(line);
}
