/**
 * The dashboard page's HTML shell. Everything dynamic is drawn by dist/webview.js; the shell
 * only fixes the security policy: nothing loads except our own script (by nonce) and styles
 * and images from the extension's resource origin — no inline script or style, no remote
 * anything, no eval.
 */

import { localize, type Strings } from '../../presentation/localize';

export interface DashboardHtmlOptions {
  /** webview.cspSource: the origin VS Code serves local resources from. */
  readonly cspSource: string;
  /** A fresh random nonce per page load. */
  readonly nonce: string;
  readonly scriptUri: string;
  readonly styleUris: readonly string[];
  /** VS Code's display language (vscode.env.language) and its l10n bundle, for the page's t() (webview/l10n.ts). */
  readonly language?: string;
  readonly strings?: Strings;
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return ["default-src 'none'", `img-src ${cspSource} data: blob:`, `style-src ${cspSource}`, `font-src ${cspSource}`, `script-src 'nonce-${nonce}'`].join(
    '; ',
  );
}

const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function dashboardHtml(o: DashboardHtmlOptions): string {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(o.nonce)) throw new RangeError('the nonce must be at least 16 base64 characters');
  const styles = o.styleUris.map((u) => `  <link rel="stylesheet" href="${escapeAttr(u)}">`).join('\n');
  const strings = o.strings ?? {};
  const escapeText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<!DOCTYPE html>
<html lang="${escapeAttr(o.language ?? 'en')}">
<head>
  <meta charset="utf-8">
  <meta http-equiv="Content-Security-Policy" content="${escapeAttr(contentSecurityPolicy(o.cspSource, o.nonce))}">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="attention-lens-l10n" content="${escapeAttr(JSON.stringify(strings))}">
${styles}
  <title>Attention Lens</title>
</head>
<body>
  <main id="app" aria-busy="true"><p class="placeholder">${escapeText(localize(strings, 'Loading the dashboard…'))}</p></main>
  <script nonce="${escapeAttr(o.nonce)}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>
`;
}
