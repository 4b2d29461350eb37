/**
 * The dashboard's side of VS Code's localization: looks a message up in the display language's
 * bundle (l10n/bundle.l10n.<language>.json, the same file vscode.l10n.t reads in the host, where
 * the English text is the key) and fills its {0}, {1}… placeholders, as vscode.l10n.t does.
 * Pure: the page (webview/l10n.ts) and the page's HTML shell (host/dashboard/html.ts) share it.
 */

export type Strings = Readonly<Record<string, string>>;

/** `template` with each {n} replaced by args[n] (a placeholder without an argument stays as written). */
export function formatMessage(template: string, args: readonly (string | number)[]): string {
  return template.replace(/\{(\d+)\}/g, (whole, i: string) => {
    const v = args[Number(i)];
    return v === undefined ? whole : String(v);
  });
}

/** The translation of `message` in `strings` (the English message itself when there is none), formatted. */
export function localize(strings: Strings, message: string, args: readonly (string | number)[] = []): string {
  const own = Object.prototype.hasOwnProperty.call(strings, message) ? strings[message] : undefined;
  return formatMessage(typeof own === 'string' ? own : message, args);
}

/** A bundle as read from the page: only string values under string keys survive (anything else is dropped). */
export function parseStrings(raw: unknown): Strings {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return out;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** A translator: vscode.l10n.t in the host, the page's t() in the dashboard; `english` fills placeholders only. */
export type Translate = (message: string, ...args: (string | number)[]) => string;

/** The default of the presentation helpers' `tr` parameter: the English text itself. */
export const english: Translate = (message, ...args) => formatMessage(message, args);
