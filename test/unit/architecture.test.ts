/**
 * The dependency rules of ARCHITECTURE.md, enforced by reading every import in src/ and
 * webview/:
 *
 *   webview → presentation → protocol ← worker → engine ← cli
 *   host → presentation, protocol (never engine);  engine imports nothing outside itself;
 *   only host imports 'vscode';  node/ (file helpers for worker and cli) → engine, protocol;
 *   cli → protocol too (the checkpoint-format table in src/protocol/checkpointFormats.ts is read by
 *   the host's picker, the loader in node/ and the CLI's help alike), and → presentation for the
 *   editor's overfitting rule (presentation/overfitting.ts), so `train` and the editor agree;
 *   the webview may bundle browser packages (uPlot) but no node:* module;
 *   outside the engine, the engine is imported only through its entry point src/engine/index.ts
 *   (tests and benchmarks, which are not scanned here, may reach inside);
 *   no import cycles anywhere in src/ and webview/, type-only imports included (a cycle means two
 *   files are one unit in disguise, and a type-only one becomes a real one with the next value import).
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../helpers/corpus';

type Layer = 'engine' | 'protocol' | 'presentation' | 'worker' | 'host' | 'cli' | 'node' | 'webview';

/** Which layers each layer may import (besides itself). */
const ALLOWED: Record<Layer, readonly Layer[]> = {
  engine: [],
  protocol: [],
  presentation: ['protocol'],
  worker: ['engine', 'protocol', 'node'],
  host: ['presentation', 'protocol'],
  // presentation/overfitting.ts: `train` says when a run overfits by the editor's own rule.
  cli: ['engine', 'node', 'protocol', 'presentation'],
  node: ['engine', 'protocol'],
  webview: ['presentation', 'protocol'],
};

/** Which non-relative modules (node builtins, packages) each layer may use. */
function externalAllowed(layer: Layer, spec: string): boolean {
  if (spec === 'vscode') return layer === 'host';
  const isNode = spec.startsWith('node:') || ['fs', 'path', 'os', 'worker_threads', 'child_process', 'crypto', 'util', 'perf_hooks', 'url'].includes(spec);
  switch (layer) {
    case 'engine':
    case 'protocol':
    case 'presentation':
      return false;
    case 'webview':
      return !isNode && !spec.startsWith('.'); // browser packages bundled in (uPlot), never node:*
    default:
      return isNode || !spec.startsWith('.');
  }
}

export function layerOf(file: string): Layer {
  const rel = path.relative(REPO_ROOT, file).split(path.sep);
  if (rel[0] === 'webview') return 'webview';
  return rel[1] as Layer;
}

export function importsOf(source: string): string[] {
  const specs: string[] = [];
  const re =
    /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(])import\s*['"]([^'"]+)['"]|\brequire\(\s*['"]([^'"]+)['"]\s*\)|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of source.matchAll(re)) specs.push((m[1] ?? m[2] ?? m[3] ?? m[4])!);
  return specs;
}

/** The engine's one entry point (src/engine/index.ts), the only engine module other layers may name. */
const ENGINE_ENTRY = path.join(REPO_ROOT, 'src/engine');

/** Whether a resolved import target (without extension) is the engine's entry point. */
function isEngineEntry(target: string): boolean {
  return target === ENGINE_ENTRY || target === path.join(ENGINE_ENTRY, 'index');
}

export function violations(file: string, source: string): string[] {
  const layer = layerOf(file);
  const out: string[] = [];
  for (const spec of importsOf(source)) {
    if (spec.startsWith('.')) {
      const target = path.resolve(path.dirname(file), spec);
      const targetLayer = layerOf(target);
      if (targetLayer !== layer && !ALLOWED[layer].includes(targetLayer))
        out.push(`${path.relative(REPO_ROOT, file)} (${layer}) imports ${spec} (${targetLayer})`);
      else if (targetLayer === 'engine' && layer !== 'engine' && !isEngineEntry(target.replace(/\.(ts|js)$/, ''))) {
        out.push(`${path.relative(REPO_ROOT, file)} (${layer}) imports ${spec}: outside the engine, import it through src/engine/index.ts`);
      }
    } else if (!externalAllowed(layer, spec)) {
      out.push(`${path.relative(REPO_ROOT, file)} (${layer}) imports '${spec}'`);
    }
  }
  return out;
}

/** The file a relative import names, among the known files (a .ts file or a folder's index.ts). */
function resolveImport(from: string, spec: string, known: ReadonlySet<string>): string | null {
  const base = path.resolve(path.dirname(from), spec).replace(/\.js$/, '');
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')]) if (known.has(candidate)) return candidate;
  return null;
}

/**
 * Every import cycle among the given files (path → source), each listed once as
 * "a.ts → b.ts → a.ts" (paths relative to the repository), from the strongly connected
 * components of the import graph (Tarjan); a file importing itself is a cycle too.
 */
export function importCycles(sources: ReadonlyMap<string, string>): string[] {
  const known = new Set(sources.keys());
  const edges = new Map<string, string[]>();
  for (const [file, source] of sources) {
    const targets = importsOf(source)
      .filter((s) => s.startsWith('.'))
      .map((s) => resolveImport(file, s, known));
    edges.set(file, [...new Set(targets.filter((t): t is string => t !== null))].sort());
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[] = [];
  const rel = (f: string): string => path.relative(REPO_ROOT, f);
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) ?? 0);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
      onStack.delete(w);
      component.push(w);
      if (w === v) break;
    }
    if (component.length > 1 || (edges.get(v) ?? []).includes(v)) cycles.push(cyclePath(component, edges).map(rel).join(' → '));
  };
  for (const file of [...known].sort()) if (!index.has(file)) visit(file);
  return cycles.sort();
}

/** One concrete cycle through a strongly connected component, starting at its first file in sort order. */
function cyclePath(component: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string[] {
  const inside = new Set(component);
  const start = [...component].sort()[0] ?? '';
  // Breadth-first from start back to start, inside the component: the shortest cycle through it.
  const previous = new Map<string, string>();
  const queue = [start];
  for (let at = 0; at < queue.length; at++) {
    const v = queue[at] ?? start;
    for (const w of edges.get(v) ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const pathBack = [start];
        for (let u: string | undefined = v; u !== undefined && u !== start; u = previous.get(u)) pathBack.push(u);
        return [start, ...pathBack.slice(1).reverse(), start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name));
}

describe('architecture: dependency rules', () => {
  it('every file under src/ and webview/ imports only what its layer may', () => {
    const files = [...sourceFiles(path.join(REPO_ROOT, 'src')), ...sourceFiles(path.join(REPO_ROOT, 'webview'))];
    assert.ok(files.length > 20, `only ${files.length} files found`);
    const outside = files.filter((f) => !(layerOf(f) in ALLOWED)).map((f) => path.relative(REPO_ROOT, f));
    assert.deepEqual(outside, [], 'files outside any layer folder (the composition root lives in src/host)');
    const bad = files.flatMap((f) => violations(f, fs.readFileSync(f, 'utf8')));
    assert.deepEqual(bad, []);
  });

  it('has no import cycle anywhere in src/ and webview/ (type-only imports count)', () => {
    const files = [...sourceFiles(path.join(REPO_ROOT, 'src')), ...sourceFiles(path.join(REPO_ROOT, 'webview'))];
    assert.deepEqual(importCycles(new Map(files.map((f) => [f, fs.readFileSync(f, 'utf8')]))), []);
  });

  it('catches a planted import cycle, a type-only one, and a file importing itself', () => {
    const at = (rel: string): string => path.join(REPO_ROOT, rel);
    const planted = new Map([
      [at('src/engine/kernels/contract.ts'), "import type { Impl } from './impl';\nexport interface Contract { x: number }"],
      [at('src/engine/kernels/impl.ts'), "import type { Contract } from './contract';\nexport const impl: Contract = { x: 1 };"],
      [at('src/engine/kernels/user.ts'), "import { impl } from './impl';"],
      [at('src/worker/a.ts'), "import { b } from './b';"],
      [at('src/worker/b.ts'), "import { c } from './sub';"],
      [at('src/worker/sub/index.ts'), "export { a } from '../a';"],
      [at('webview/self.ts'), "import './self';"],
    ]);
    assert.deepEqual(importCycles(planted), [
      'src/engine/kernels/contract.ts → src/engine/kernels/impl.ts → src/engine/kernels/contract.ts',
      'src/worker/a.ts → src/worker/b.ts → src/worker/sub/index.ts → src/worker/a.ts',
      'webview/self.ts → webview/self.ts',
    ]);
    planted.set(at('src/engine/kernels/contract.ts'), 'export interface Contract { x: number }');
    planted.delete(at('src/worker/sub/index.ts'));
    planted.delete(at('webview/self.ts'));
    assert.deepEqual(importCycles(planted), [], 'the same files without the back edges');
  });

  it('catches a planted vscode import in the engine, node: in the engine, and the engine in the host', () => {
    const engineFile = path.join(REPO_ROOT, 'src/engine/ops/planted.ts');
    assert.deepEqual(violations(engineFile, "import * as vscode from 'vscode';"), ["src/engine/ops/planted.ts (engine) imports 'vscode'"]);
    assert.equal(violations(engineFile, "import { readFileSync } from 'node:fs';").length, 1);
    assert.equal(violations(engineFile, "const fs = require('fs');").length, 1);
    assert.equal(violations(engineFile, "import '../../host/log';").length, 1);
    const hostFile = path.join(REPO_ROOT, 'src/host/planted.ts');
    assert.equal(violations(hostFile, "import { Tensor } from '../engine/tensor';").length, 1);
    assert.equal(violations(hostFile, "import type { Tensor } from '../engine/tensor';").length, 1);
    const workerFile = path.join(REPO_ROOT, 'src/worker/planted.ts');
    assert.equal(violations(workerFile, "import * as vscode from 'vscode';").length, 1);
    assert.deepEqual(violations(workerFile, "import { Tensor } from '../engine';\nimport { parentPort } from 'node:worker_threads';"), []);
    const webviewFile = path.join(REPO_ROOT, 'webview/planted.ts');
    assert.equal(violations(webviewFile, "import * as fs from 'node:fs';").length, 1);
    assert.equal(violations(webviewFile, "import * as vscode from 'vscode';").length, 1);
    assert.equal(violations(webviewFile, "import { Tensor } from '../src/engine/tensor';").length, 1);
  });

  it('catches a planted deep import into the engine from the worker, the CLI and node/', () => {
    const deep = (rel: string, source: string): string[] => violations(path.join(REPO_ROOT, rel), source);
    assert.deepEqual(deep('src/worker/planted.ts', "import { Tensor } from '../engine/tensor';"), [
      'src/worker/planted.ts (worker) imports ../engine/tensor: outside the engine, import it through src/engine/index.ts',
    ]);
    assert.equal(deep('src/cli/commands/planted.ts', "import type { Tokenizer } from '../../engine/tokenizer/tokenizer';").length, 1);
    assert.equal(deep('src/node/planted.ts', "export { parseCheckpoint } from '../engine/checkpoint/native';").length, 1);
    assert.deepEqual(deep('src/cli/planted.ts', "import { Rng } from '../engine';\nimport { Tensor } from '../engine/index';"), []);
    assert.deepEqual(deep('src/engine/ops/planted.ts', "import { Tensor } from '../tensor';"), [], 'inside the engine, modules import each other directly');
  });
});
