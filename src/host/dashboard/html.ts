/**
 * The dashboard page's HTML shell. Everything dynamic is drawn by dist/webview.js; the shell
 * only fixes the security policy: nothing loads except our own script (by nonce) and styles
 * and images from the extension's resource origin — no inline script or style, no remote
 * anything, no eval.
 */

export interface DashboardHtmlOptions {
  /** webview.cspSource: the origin VS Code serves local resources from. */
  readonly cspSource: string;
  /** A fresh random nonce per page load. */
  readonly nonce: string;
  readonly scriptUri: string;
  readonly styleUris: readonly string[];
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
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta http-equiv="Content-Security-Policy" content="${escapeAttr(contentSecurityPolicy(o.cspSource, o.nonce))}">
  <meta name="viewport" content="width=device-width, initial-scale=1">
${styles}
  <title>Attention Lens</title>
</head>
<body>
  <main id="app" aria-busy="true"><p class="placeholder">Loading the dashboard…</p></main>
  <script nonce="${escapeAttr(o.nonce)}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>
`;
}
