/**
 * Settings from VS Code's configuration, validated by the one parser in src/protocol, and
 * an event when any `attentionLens.*` setting changes.
 */

import * as vscode from 'vscode';
import { DEFAULT_SETTINGS, parseSettings, type Settings } from '../protocol/settings';

export const CONFIG_SECTION = 'attentionLens';

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration(CONFIG_SECTION);
  // Every group the parser knows, so a new settings group needs no change here.
  return parseSettings(Object.fromEntries(Object.keys(DEFAULT_SETTINGS).map((group) => [group, c.get(group)])));
}

/** Writes one setting where the user will find it: the workspace if it overrides, else user settings. */
export async function updateSetting(key: string, value: unknown): Promise<void> {
  const c = vscode.workspace.getConfiguration(CONFIG_SECTION);
  const inspect = c.inspect(key);
  const target = inspect?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await c.update(key, value, target);
}

export function onDidChangeSettings(listener: (s: Settings) => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration(CONFIG_SECTION)) listener(readSettings());
  });
}
