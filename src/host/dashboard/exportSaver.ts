/**
 * Saves an export the page prepared (a PNG data URL, or CSV / JSON text, already validated):
 * asks where with a save dialog in the workspace folder, writes it, and says how it went.
 */

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SaveFormat } from '../../protocol/webviewProtocol';
import type { Log } from '../log';

// A function: vscode.l10n answers in the display language only once the extension is activating.
const filterName = (format: SaveFormat): string => (format === 'png' ? vscode.l10n.t('PNG image') : format.toUpperCase());

/** The outcome, as the page's banner shows it. */
export async function saveExport(
  log: Log,
  format: SaveFormat,
  suggestedName: string,
  data: string,
): Promise<{ readonly ok: boolean; readonly message: string }> {
  const name = suggestedName.toLowerCase().endsWith(`.${format}`) ? suggestedName : `${suggestedName}.${format}`;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  try {
    const target = await vscode.window.showSaveDialog({
      title: vscode.l10n.t('Attention Lens: save {0}', name),
      filters: { [filterName(format)]: [format] },
      defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
    });
    if (!target) return { ok: false, message: vscode.l10n.t('Not saved.') };
    const bytes = format === 'png' ? Buffer.from(data.slice(data.indexOf(',') + 1), 'base64') : Buffer.from(data, 'utf8');
    await vscode.workspace.fs.writeFile(target, bytes);
    log.info(`dashboard: saved ${target.toString()} (${bytes.length} bytes)`);
    return { ok: true, message: vscode.l10n.t('Saved {0}.', path.posix.basename(target.path)) };
  } catch (e) {
    log.error(`dashboard: could not save ${name}: ${(e as Error).message}`);
    return { ok: false, message: vscode.l10n.t('Could not save {0}: {1}', name, (e as Error).message) };
  }
}
