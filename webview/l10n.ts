/**
 * `t('English text', …args)`: the page's strings in VS Code's display language. The host puts the
 * language's bundle into the page's HTML (host/dashboard/html.ts, <meta name="attention-lens-l10n">);
 * without one (English, or the browser tests' default page) every string is its English source.
 * Every call's first argument is a literal, so the l10n unit test can check its translation.
 */

import { localize, parseStrings, type Strings } from '../src/presentation/localize';

export const L10N_META_NAME = 'attention-lens-l10n';

function readBundle(): Strings {
  const text = typeof document === 'undefined' ? null : document.querySelector<HTMLMetaElement>(`meta[name="${L10N_META_NAME}"]`)?.content;
  if (!text) return parseStrings(null);
  try {
    return parseStrings(JSON.parse(text));
  } catch {
    return parseStrings(null);
  }
}

const strings = readBundle();

export function t(message: string, ...args: (string | number)[]): string {
  return localize(strings, message, args);
}
