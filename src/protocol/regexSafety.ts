/**
 * A static check of untrusted regular expressions: those a tokenizer.json brings (a Replace
 * normalizer's or a Split pre-tokenizer's `{"Regex": …}`) and a custom head detector's token
 * rule from the dashboard page or `heads --rule` (headRules.ts). They run in JavaScript's
 * backtracking engine on the worker and in the CLI, and a pattern such as `(a+)+$` takes
 * exponential time on a few dozen characters — the worker would freeze with no way to stop it. Patterns that can backtrack
 * catastrophically are refused before they are compiled, and the message names the part.
 *
 * Refused (conservatively; real tokenizers' patterns are flat alternations of classes):
 * - a repeated group that itself contains a variable-length quantifier (`(a+)+`, `(\w*\s?)*`,
 *   `(.*a){12}`, `(a{1,3})*`): the ways to split the text grow exponentially;
 * - a repeated group over alternatives that can start with the same character or match nothing,
 *   however deep inside (`(a|a)*`, `(\w|\d)+`, `(a|)+`, `((a|a){5})*`): each character can be
 *   taken by either branch;
 * - more than three unbounded quantifiers in one sequence (`\s*\s*\s*\s*x`: polynomial of high degree);
 * - backreferences (`(a*)\1`), which no tokenizer needs;
 * - patterns over 4,000 characters.
 */

export const MAX_PATTERN_CHARS = 4000;

/** Why the pattern is refused, or null when it is accepted. */
export function unsafeRegexReason(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN_CHARS) return `the pattern is ${pattern.length} characters long (at most ${MAX_PATTERN_CHARS})`;
  try {
    const p = new Parser(pattern);
    const node = p.parseAlternation();
    if (p.pos < pattern.length) return null; // unbalanced ")": the regex compiler reports it
    analyse(node, pattern);
    return null;
  } catch (e) {
    if (e instanceof Unsafe) return e.message;
    if (e instanceof Unparsed) return null; // left to the regex compiler, which reports syntax errors
    throw e;
  }
}

class Unsafe extends Error {}
class Unparsed extends Error {}

/** First characters a node can start with: a set of literal characters, or 'any' when not known. */
type First = ReadonlySet<string> | 'any';

type Node =
  | { kind: 'atom'; first: First; start: number; end: number }
  | { kind: 'empty'; start: number; end: number }
  | { kind: 'seq'; items: Node[]; start: number; end: number }
  | { kind: 'alt'; branches: Node[]; start: number; end: number }
  | { kind: 'group'; inner: Node; lookaround: boolean; caseless: boolean; start: number; end: number }
  | { kind: 'quant'; body: Node; min: number; max: number; start: number; end: number }
  | { kind: 'backref'; start: number; end: number };

class Parser {
  pos = 0;
  constructor(readonly src: string) {}

  parseAlternation(): Node {
    const start = this.pos;
    const branches = [this.parseSequence()];
    while (this.src[this.pos] === '|') {
      this.pos++;
      branches.push(this.parseSequence());
    }
    return branches.length === 1 ? branches[0]! : { kind: 'alt', branches, start, end: this.pos };
  }

  private parseSequence(): Node {
    const start = this.pos;
    const items: Node[] = [];
    while (this.pos < this.src.length && this.src[this.pos] !== '|' && this.src[this.pos] !== ')') {
      let atom = this.parseAtom();
      atom = this.parseQuantifiers(atom);
      items.push(atom);
    }
    if (items.length === 0) return { kind: 'empty', start, end: this.pos };
    return items.length === 1 ? items[0]! : { kind: 'seq', items, start, end: this.pos };
  }

  private parseQuantifiers(atom: Node): Node {
    for (;;) {
      const c = this.src[this.pos];
      let min: number, max: number;
      if (c === '*') [min, max] = [0, Infinity];
      else if (c === '+') [min, max] = [1, Infinity];
      else if (c === '?') [min, max] = [0, 1];
      else if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
        if (!m) return atom; // a literal "{"
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
        this.pos += m[0].length - 1;
      } else return atom;
      this.pos++;
      if (this.src[this.pos] === '?' || this.src[this.pos] === '+') this.pos++; // lazy / possessive
      atom = { kind: 'quant', body: atom, min, max, start: atom.start, end: this.pos };
    }
  }

  private parseAtom(): Node {
    const start = this.pos;
    const c = this.src[this.pos]!;
    if (c === '(') {
      this.pos++;
      let lookaround = false;
      let caseless = false;
      if (this.src[this.pos] === '?') {
        const rest = this.src.slice(this.pos + 1);
        const m = /^(?::|=|!|<=|<!|<[A-Za-z_][\w]*>|[imsx-]+:)/.exec(rest);
        if (!m) throw new Unparsed();
        lookaround = /^(=|!|<=|<!)$/.test(m[0]);
        caseless = /^[imsx-]*i[imsx-]*:$/.test(m[0]) && !m[0].startsWith('-');
        this.pos += 1 + m[0].length;
      }
      const inner = this.parseAlternation();
      if (this.src[this.pos] !== ')') throw new Unparsed();
      this.pos++;
      return { kind: 'group', inner, lookaround, caseless, start, end: this.pos };
    }
    if (c === '[') {
      this.pos++;
      if (this.src[this.pos] === '^') this.pos++;
      if (this.src[this.pos] === ']') this.pos++;
      while (this.pos < this.src.length && this.src[this.pos] !== ']') {
        if (this.src[this.pos] === '\\') this.pos++;
        this.pos++;
      }
      if (this.pos >= this.src.length) throw new Unparsed();
      this.pos++;
      return { kind: 'atom', first: 'any', start, end: this.pos };
    }
    if (c === '\\') {
      const next = this.src[this.pos + 1];
      if (next === undefined) throw new Unparsed();
      if (/[1-9]/.test(next) || (next === 'k' && this.src[this.pos + 2] === '<')) {
        this.pos += 2;
        while (/[\w<>]/.test(this.src[this.pos] ?? '')) this.pos++;
        return { kind: 'backref', start, end: this.pos };
      }
      if (next === 'p' || next === 'P') {
        const m = /^\\[pP](\{[^}]*\}|\w)/.exec(this.src.slice(this.pos));
        this.pos += m ? m[0].length : 2;
        return { kind: 'atom', first: 'any', start, end: this.pos };
      }
      const m = /^\\(x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|c[A-Za-z])/.exec(this.src.slice(this.pos));
      if (m) {
        this.pos += m[0].length;
        return { kind: 'atom', first: 'any', start, end: this.pos };
      }
      this.pos += 2;
      // \b \B are zero-width; \s \d \w and their negations are classes; anything else is the character itself.
      if (/[bBAzZG]/.test(next)) return { kind: 'empty', start, end: this.pos };
      return { kind: 'atom', first: /[sSdDwWhHvVRXNntrfe0]/.test(next) ? 'any' : new Set([next]), start, end: this.pos };
    }
    if (c === '^' || c === '$') {
      this.pos++;
      return { kind: 'empty', start, end: this.pos };
    }
    if (c === '*' || c === '+' || c === '?') throw new Unparsed(); // nothing to repeat
    const cp = this.src.codePointAt(this.pos)!;
    const ch = String.fromCodePoint(cp);
    this.pos += ch.length;
    return { kind: 'atom', first: c === '.' ? 'any' : new Set([ch]), start, end: this.pos };
  }
}

interface Facts {
  /** Contains a quantifier with no upper bound over something that matches characters. */
  readonly unbounded: boolean;
  /**
   * Can match one text in several ways: contains a quantifier that can take different numbers of
   * repetitions (`a?`, `a{1,3}`, `a+`), or alternatives that can start alike or match nothing.
   */
  readonly variable: boolean;
  /** Can match the empty string. */
  readonly nullable: boolean;
  readonly first: First;
}

function union(a: First, b: First): First {
  if (a === 'any' || b === 'any') return 'any';
  return new Set([...a, ...b]);
}

function overlaps(a: First, b: First): boolean {
  if (a === 'any' || b === 'any') return true;
  for (const c of a) if (b.has(c)) return true;
  return false;
}

function analyse(node: Node, src: string, caseless = false): Facts {
  const show = (n: Node): string => JSON.stringify(src.slice(n.start, n.end).slice(0, 80));
  switch (node.kind) {
    case 'empty':
      return { unbounded: false, variable: false, nullable: true, first: new Set() };
    case 'atom':
      return { unbounded: false, variable: false, nullable: false, first: caseless ? 'any' : node.first };
    case 'backref':
      throw new Unsafe(`backreference ${show(node)}: tokenizer patterns may not use backreferences`);
    case 'group': {
      const f = analyse(node.inner, src, caseless || node.caseless);
      return node.lookaround ? { ...f, nullable: true, first: new Set() } : f;
    }
    case 'alt': {
      const fs = node.branches.map((b) => analyse(b, src, caseless));
      // Branches that can start alike (or match nothing) let the same text match in two ways.
      let ambiguous = fs.some((f) => f.variable || f.nullable);
      for (let i = 0; i < fs.length && !ambiguous; i++) for (let j = i + 1; j < fs.length; j++) if (overlaps(fs[i]!.first, fs[j]!.first)) ambiguous = true;
      return {
        unbounded: fs.some((f) => f.unbounded),
        variable: ambiguous,
        nullable: fs.some((f) => f.nullable),
        first: fs.reduce<First>((a, f) => union(a, f.first), new Set()),
      };
    }
    case 'seq': {
      const fs = node.items.map((i) => analyse(i, src, caseless));
      const loops = fs.filter((f) => f.unbounded);
      if (loops.length > 3) throw new Unsafe(`${loops.length} unbounded quantifiers in a row in ${show(node)} can take polynomial time of high degree`);
      let first: First = new Set();
      let nullable = true;
      for (const f of fs) {
        if (!nullable) break;
        first = union(first, f.first);
        nullable = f.nullable;
      }
      return { unbounded: fs.some((f) => f.unbounded), variable: fs.some((f) => f.variable), nullable, first };
    }
    case 'quant': {
      const f = analyse(node.body, src, caseless);
      if (node.max === Infinity) {
        const alt = topAlternation(node.body);
        if (alt) {
          const branches = alt.branches.map((b) => analyse(b, src, caseless));
          for (let i = 0; i < branches.length; i++) {
            if (branches[i]!.nullable)
              throw new Unsafe(`quantified alternation ${show(node)} has a branch that matches nothing, which can backtrack exponentially`);
            for (let j = i + 1; j < branches.length; j++) {
              if (overlaps(branches[i]!.first, branches[j]!.first)) {
                throw new Unsafe(`quantified alternation ${show(node)} has branches that can match the same text, which can backtrack exponentially`);
              }
            }
          }
        }
      }
      if (node.max > 1 && f.variable) {
        throw new Unsafe(
          `nested quantifier ${show(node)}: a repeated group that can match the same text in several ways (a variable repetition or overlapping alternatives inside) can backtrack exponentially`,
        );
      }
      return {
        unbounded: f.unbounded || (node.max === Infinity && !f.nullable),
        variable: f.variable || (node.max > node.min && !f.nullable),
        nullable: f.nullable || node.min === 0,
        first: f.first,
      };
    }
  }
}

function topAlternation(n: Node): Extract<Node, { kind: 'alt' }> | null {
  if (n.kind === 'alt') return n;
  if (n.kind === 'group' && !n.lookaround) return topAlternation(n.inner);
  return null;
}
