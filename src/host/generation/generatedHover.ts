/**
 * The hover's part for a token that Generate from Cursor wrote: "generated: p=…, alternatives …"
 * — the probability the model gave it and its top alternatives at that step. A hover provider
 * of its own (VS Code shows it in the same hover as the attention provider's), so the attention
 * hover stays as it is.
 */

import * as vscode from 'vscode';
import type { GeneratedToken, GeneratedTokens } from './generatedTokens';

export class GeneratedTokenHoverProvider implements vscode.HoverProvider {
  constructor(private readonly generated: GeneratedTokens) {}

  provideHover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const t = this.generated.at(doc, doc.offsetAt(position));
    if (!t) return undefined;
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = false;
    md.supportHtml = false;
    md.appendMarkdown(describeGenerated(t));
    return new vscode.Hover(md, new vscode.Range(doc.positionAt(t.start), doc.positionAt(t.end)));
  }
}

/** "generated: p=0.6132, alternatives `a` 0.2010 · `b` 0.0412 (step 3)", as Markdown. */
export function describeGenerated(t: GeneratedToken): string {
  const others = t.alternatives.filter((a) => a.id !== t.tokenId).map((a) => `${code(a.label)} ${formatProb(a.prob)}`);
  return vscode.l10n.t(
    '**Attention Lens** · generated: p={0}, alternatives {1} (step {2})',
    formatProb(t.prob),
    others.join(' · ') || vscode.l10n.t('none'),
    t.step + 1,
  );
}

/** Four significant digits: enough to tell near ties apart. */
export function formatProb(p: number): string {
  return p >= 0.001 ? p.toFixed(4) : p.toExponential(2);
}

/** Inline code that survives backticks and newlines in token text. */
function code(text: string): string {
  const visible = JSON.stringify(text).slice(1, -1);
  return visible.includes('`') ? `\`\` ${visible} \`\`` : `\`${visible}\``;
}
