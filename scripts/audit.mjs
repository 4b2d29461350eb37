#!/usr/bin/env node
/**
 * `npm run audit:shipped`: `npm audit --omit=dev` for what ships (the .vsix bundles the production
 * dependencies into dist/), with an answer either way. Exit codes: 0 no known vulnerability,
 * 1 vulnerabilities found (listed), 3 the advisory service could not be asked (this machine's
 * registry answers the audit endpoint with 405): then it says so and lists the shipped tree to
 * check by hand, instead of passing silently.
 */

import { spawnSync } from 'node:child_process';
import { ROOT } from './lib/config.mjs';

const NOT_CHECKED = 3;

function npmJson(args) {
  const r = spawnSync('npm', args, { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  try {
    return JSON.parse(r.stdout);
  } catch {
    return { error: { summary: (r.stderr || r.stdout || `npm exited with ${r.status}`).trim() } };
  }
}

function shippedTree(node, depth = 0, lines = []) {
  for (const [name, dep] of Object.entries(node.dependencies ?? {})) {
    lines.push(`${'  '.repeat(depth + 1)}${name}@${dep.version}`);
    shippedTree(dep, depth + 1, lines);
  }
  return lines;
}

const audit = npmJson(['audit', '--omit=dev', '--json']);
const counts = audit.metadata?.vulnerabilities;
if (counts) {
  const total = counts.total ?? Object.values(counts).reduce((a, b) => a + b, 0);
  for (const [name, v] of Object.entries(audit.vulnerabilities ?? {})) {
    console.log(`${v.severity.padEnd(8)} ${name} ${v.range} ${v.fixAvailable ? '(fix available)' : ''}`);
  }
  console.log(
    `npm audit --omit=dev: ${total} known vulnerabilit${total === 1 ? 'y' : 'ies'} in what ships (${audit.metadata.dependencies?.prod ?? '?'} production packages)`,
  );
  process.exit(total > 0 ? 1 : 0);
}

const why = audit.message ?? audit.error?.summary ?? 'no report';
console.log(`npm audit --omit=dev could not ask the advisory service: ${why}`);
console.log('What ships (bundled into dist/), to check by hand:');
console.log(shippedTree(npmJson(['ls', '--omit=dev', '--all', '--json'])).join('\n') || '  (nothing)');
process.exit(NOT_CHECKED);
