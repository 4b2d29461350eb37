/**
 * Reads the localizable strings out of the sources, the way VS Code's l10n tooling does: every
 * `vscode.l10n.t('…')` in src/host (its first argument must be a string literal: the English
 * text is the key), the `%key%` placeholders of package.json, and the webview's `t('…')` calls.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from './corpus';

export interface FoundCall {
  readonly file: string;
  readonly line: number;
  /** The literal's text, or null when the first argument is not a literal (an error: it cannot be translated). */
  readonly message: string | null;
}

function tsFiles(dir: string): string[] {
  return fs
    .readdirSync(path.join(REPO_ROOT, dir), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
}

/** Calls whose callee is written exactly `callee` (e.g. 'vscode.l10n.t' or 't') in the .ts files under `dir`; `arg` is the message's position. */
export function findCalls(dir: string, callee: string, arg = 0): FoundCall[] {
  const out: FoundCall[] = [];
  for (const file of tsFiles(dir)) {
    const text = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
    if (!text.includes(`${callee}(`)) continue;
    const src = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && node.expression.getText(src) === callee) {
        const a = node.arguments[arg];
        const message = a && (ts.isStringLiteral(a) || ts.isNoSubstitutionTemplateLiteral(a)) ? a.text : null;
        out.push({ file, line: src.getLineAndCharacterOfPosition(node.getStart(src)).line + 1, message });
      }
      ts.forEachChild(node, visit);
    };
    visit(src);
  }
  return out;
}

/** Every `%key%` value in package.json, with where it is (a JSON path). */
export function manifestKeys(): { key: string; at: string }[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as unknown;
  const out: { key: string; at: string }[] = [];
  const walk = (v: unknown, at: string): void => {
    if (typeof v === 'string') {
      const m = /^%(.+)%$/.exec(v);
      if (m) out.push({ key: m[1]!, at });
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}[${i}]`));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${at}.${k}`);
  };
  walk(pkg, '$');
  return out;
}

export function readJson(file: string): Record<string, string> {
  return JSON.parse(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8')) as Record<string, string>;
}
