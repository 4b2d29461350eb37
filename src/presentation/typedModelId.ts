/**
 * What "Open Model from Hugging Face…" offers for the text typed in its picker: the typed id
 * itself ("Download owner/name"), so that Enter downloads what was typed instead of whichever
 * listed model the filter happens to put first. A bare name that is the name part of exactly one
 * listed model ("gpt2" → openai-community/gpt2, as the hub itself redirects) is offered as that
 * model. Nothing is offered for an id that is exactly a listed one (its own item matches on its
 * description) or for text the id validation (parseRepoRef) refuses.
 */

import { parseRepoRef } from '../protocol/hubModels';

export function typedModelId(value: string, listed: readonly string[]): string | null {
  const text = value.trim();
  if (!text) return null;
  const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
  const ref = parseRepoRef(text);
  if (typeof ref !== 'string') return listed.some((repo) => same(repo, text)) ? null : text;
  if (text.includes('/')) return null;
  const named = listed.filter((repo) => same(repo.slice(repo.indexOf('/') + 1), text));
  return new Set(named).size === 1 ? named[0]! : null;
}
