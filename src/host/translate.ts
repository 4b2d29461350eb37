/**
 * The presentation helpers' translator in the extension host: their English text through
 * vscode.l10n, so a hover or tooltip built from them is in the display language throughout.
 */

import * as vscode from 'vscode';
import type { Translate } from '../presentation/localize';

export const tr: Translate = (message, ...args) => vscode.l10n.t(message, ...args);
