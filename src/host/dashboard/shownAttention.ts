/**
 * Which query the dashboard shows when the editor's highlights change. Focusing the dashboard
 * leaves no active text editor, and the highlighter then shows nothing; the dashboard keeps the
 * last query while its document is still on screen and unchanged, so clicking in the panel does
 * not blank it.
 */

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { QueryAttention } from '../../protocol/webviewProtocol';
import type { ShownAttention } from '../attentionHighlighter';
import { toQueryAttention } from './payloads';

export function queryAttentionOf(shown: ShownAttention | null): QueryAttention | null {
  if (!shown) return null;
  const uri = vscode.Uri.parse(shown.result.documentKey);
  return { ...toQueryAttention(shown.result, path.posix.basename(uri.path) || uri.toString()), pinned: shown.pinned };
}

/** The attention to show after the highlighter showed `shown`, given what the dashboard shows now. */
export function nextShownAttention(shown: ShownAttention | null, current: QueryAttention | null): QueryAttention | null {
  if (!shown && current && !vscode.window.activeTextEditor) {
    const onScreen = vscode.window.visibleTextEditors.some((e) => e.document.uri.toString() === current.documentKey && e.document.version === current.version);
    if (onScreen) return current;
  }
  return queryAttentionOf(shown);
}
