/**
 * Real text for training tests, made from what the project itself carries: the engine's
 * own TypeScript sources, concatenated in a fixed order. It has the structure models can
 * learn (keywords, indentation, repeated identifiers) and needs no external fixture.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../..');

export function engineSourceText(maxChars = 200_000): string {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) files.push(p);
    }
  };
  walk(path.join(REPO_ROOT, 'src/engine'));
  let text = '';
  for (const f of files) {
    text += fs.readFileSync(f, 'utf8') + '\n';
    if (text.length >= maxChars) break;
  }
  return text.slice(0, maxChars);
}
