/**
 * The Simplified Chinese translation is complete and well-formed: every `%key%` of package.json
 * is in package.nls.json and package.nls.zh-cn.json; every `vscode.l10n.t('…')` of the host and
 * `t('…')` of the dashboard page is in l10n/bundle.l10n.zh-cn.json (and nothing stale is); each
 * translation keeps its source's {0} placeholders and command links; no entry is left in English;
 * every walkthrough page has its .nls.zh-cn.md. The in-host side (VS Code really shows these) is
 * test/integration/l10n/zhCn.l10n.ts.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../helpers/corpus';
import { findCalls, manifestKeys, readJson, type FoundCall } from '../../helpers/l10nKeys';

const NLS = readJson('package.nls.json');
const NLS_ZH = readJson('package.nls.zh-cn.json');
const BUNDLE_ZH = readJson('l10n/bundle.l10n.zh-cn.json');

const CJK = /[\u3400-\u9fff]/;
/** Names and terms kept as they are in Chinese ML writing: they alone do not make an entry English. */
const KEPT =
  /Attention Lens|Hugging Face|VS Code|Kobayashi et al\.|TypeScript|Unicode|TinyStories|SmolLM2|Pythia|Qwen2|GPT-2|llama2\.c|AdamW|GELU|MLP|BOS|NUL|softmax|one-hot|Viridis|Cividis|emoji|tok\/s|d_model|log p|ln p|\bid\b|\bp\b|\bq\b|\bk\b|\bd\b|\bv\b|\bL\b/gi;

const placeholders = (s: string): string[] => (s.match(/\{\d+\}/g) ?? []).sort();
const commandLinks = (s: string): string[] => (s.match(/\(command:[^)]+\)/g) ?? []).sort();
/** Words a reader would have to read in English once names, identifiers, code and placeholders are set aside. */
function englishWords(s: string): string[] {
  const rest = s
    .replace(/\(command:[^)]+\)/g, ' ')
    .replace(/`[^`]*`/g, ' ')
    .replace(/\{\d+\}/g, ' ')
    .replace(/[\w-]*[._$@/#][\w.$@/#-]*/g, ' ') // identifiers, paths, settings: attentionLens.weight1, config.json, owner/name
    .replace(KEPT, ' ');
  return rest.match(/[A-Za-z]{2,}/g) ?? [];
}

function checkTranslation(where: string, english: string, chinese: string | undefined): string[] {
  if (chinese === undefined) return [`${where}: no zh-cn translation of ${JSON.stringify(english)}`];
  const problems: string[] = [];
  if (placeholders(english).join() !== placeholders(chinese).join())
    problems.push(
      `${where}: placeholders ${placeholders(english).join(' ') || 'none'} became ${placeholders(chinese).join(' ') || 'none'} in ${JSON.stringify(chinese)}`,
    );
  if (commandLinks(english).join() !== commandLinks(chinese).join()) problems.push(`${where}: command links differ in ${JSON.stringify(chinese)}`);
  if (englishWords(english).length > 0 && !CJK.test(chinese)) problems.push(`${where}: left in English: ${JSON.stringify(chinese)}`);
  return problems;
}

/** The literal messages of the calls, failing on any call whose message is not a literal (it could not be translated). */
function messages(calls: FoundCall[]): string[] {
  // src/host/translate.ts hands vscode.l10n.t to the presentation helpers: their literals are checked there.
  calls = calls.filter((c) => c.file !== path.join('src/host', 'translate.ts'));
  const dynamic = calls.filter((c) => c.message === null).map((c) => `${c.file}:${c.line}`);
  assert.deepEqual(dynamic, [], 'localized calls whose first argument is not a string literal');
  return [...new Set(calls.map((c) => c.message!))];
}

const hostMessages = messages(findCalls('src/host', 'vscode.l10n.t'));
const pageMessages = messages([...findCalls('webview', 't'), ...findCalls('src/host/dashboard', 'localize', 1)]);
/** The presentation helpers' English, translated through their `tr` parameter by the host and the page alike. */
const sharedMessages = messages(findCalls('src/presentation', 'tr'));

describe('l10n: the zh-cn translation is complete', () => {
  it('finds the strings it checks (the scan works)', () => {
    assert.ok(hostMessages.length > 200, `only ${hostMessages.length} vscode.l10n.t messages found in src/host`);
    assert.ok(hostMessages.includes('Attention Lens: saved the model to {0}'));
    assert.ok(pageMessages.includes('Attention matrix') && pageMessages.includes('Loading the dashboard…'));
    assert.ok(sharedMessages.includes('{0} of uniform ({1})'));
    assert.ok(manifestKeys().length > 100);
  });

  it('every %key% of package.json has its English and Chinese text, and no nls key is unused', () => {
    const used = manifestKeys();
    const problems: string[] = [];
    for (const { key, at } of used) {
      if (!(key in NLS)) problems.push(`${at}: %${key}% is not in package.nls.json`);
      else problems.push(...checkTranslation(`package.nls.zh-cn.json ${key}`, NLS[key]!, NLS_ZH[key]));
    }
    const keys = new Set(used.map((u) => u.key));
    for (const k of Object.keys(NLS)) if (!keys.has(k)) problems.push(`package.nls.json: ${k} is used nowhere in package.json`);
    for (const k of Object.keys(NLS_ZH)) if (!(k in NLS)) problems.push(`package.nls.zh-cn.json: ${k} is not in package.nls.json`);
    assert.deepEqual(problems, []);
  });

  it('no user-facing text is left literal in package.json contributions', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { contributes: Record<string, unknown> };
    const c = pkg.contributes as {
      commands: { title: string; category: string }[];
      configuration: { title: string; properties: Record<string, { description?: string; markdownDescription?: string; enumDescriptions?: string[] }> };
      views: Record<string, { name: string }[]>;
      viewsWelcome: { contents: string }[];
      walkthroughs: { title: string; description: string; steps: { title: string; description: string }[] }[];
      colors: { description: string }[];
    };
    const texts: [string, string | undefined][] = [
      ...c.commands.flatMap((x): [string, string][] => [
        ['command title', x.title],
        ['command category', x.category],
      ]),
      ['configuration title', c.configuration.title],
      ...Object.entries(c.configuration.properties).flatMap(([k, p]): [string, string | undefined][] => [
        [`${k} description`, p.description ?? p.markdownDescription],
        ...(p.enumDescriptions ?? []).map((d, i): [string, string] => [`${k} enumDescriptions[${i}]`, d]),
      ]),
      ...Object.values(c.views)
        .flat()
        .map((v): [string, string] => ['view name', v.name]),
      ...c.viewsWelcome.map((w): [string, string] => ['welcome', w.contents]),
      ...c.walkthroughs.flatMap((w) => [
        ['walkthrough', w.title] as [string, string],
        ['walkthrough', w.description] as [string, string],
        ...w.steps.flatMap((s): [string, string][] => [
          ['step', s.title],
          ['step', s.description],
        ]),
      ]),
      ...c.colors.map((x): [string, string] => ['color', x.description]),
    ];
    const literal = texts.filter(([, t]) => t !== undefined && !/^%.+%$/.test(t)).map(([w, t]) => `${w}: ${t}`);
    assert.deepEqual(literal, []);
  });

  it('every vscode.l10n.t message of the host and t() message of the dashboard is in bundle.l10n.zh-cn.json, well-formed', () => {
    const problems: string[] = [];
    for (const m of [...hostMessages, ...pageMessages, ...sharedMessages]) problems.push(...checkTranslation('bundle.l10n.zh-cn.json', m, BUNDLE_ZH[m]));
    const used = new Set([...hostMessages, ...pageMessages, ...sharedMessages]);
    for (const k of Object.keys(BUNDLE_ZH)) if (!used.has(k)) problems.push(`bundle.l10n.zh-cn.json: ${JSON.stringify(k)} is used nowhere (stale)`);
    assert.deepEqual(problems, []);
  });

  it('every walkthrough page has a Chinese version beside it (media/…/<name>.nls.zh-cn.md)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      contributes: { walkthroughs: { steps: { media: { markdown?: string } }[] }[] };
    };
    const pages = pkg.contributes.walkthroughs.flatMap((w) => w.steps.map((s) => s.media.markdown).filter((m): m is string => !!m));
    assert.ok(pages.length > 0);
    for (const page of pages) {
      const zh = path.join(REPO_ROOT, page.replace(/\.md$/, '.nls.zh-cn.md'));
      assert.ok(fs.existsSync(zh), `${page} has no ${path.relative(REPO_ROOT, zh)}`);
      assert.match(fs.readFileSync(zh, 'utf8'), CJK, `${path.relative(REPO_ROOT, zh)} is not Chinese`);
    }
  });

  it('the checks catch a missing translation, a lost placeholder, a changed command link and an English leftover', () => {
    assert.match(checkTranslation('x', 'Load {0}', undefined).join(), /no zh-cn translation/);
    assert.match(checkTranslation('x', 'Loaded {0} of {1}', '已加载 {0}').join(), /placeholders \{0\} \{1\} became \{0\}/);
    assert.match(checkTranslation('x', '[Go](command:a.b)', '[去](command:a.c)').join(), /command links differ/);
    assert.match(checkTranslation('x', 'Show Dashboard', 'Show Dashboard').join(), /left in English/);
    assert.match(checkTranslation('x', '{0} {1} of {2}', '{0} {1}/{2}').join(), /left in English/);
    assert.deepEqual(checkTranslation('x', 'Attention Lens: {0}', 'Attention Lens：{0}'), []);
    assert.deepEqual(checkTranslation('x', 'd_model {0}, context {1}', 'd_model {0}，上下文 {1}'), []);
  });
});
