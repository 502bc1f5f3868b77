import { CredoError } from '@credo/core';
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/** A path into the parsed sweep file: map keys and sequence indices. */
export type SpecPath = readonly (string | number)[];

/**
 * Turns a path into `file:line:col` for error messages, or `undefined` when the input did not
 * come from YAML text (a stored spec object). `atKey` points at the key of the last map entry
 * rather than its value, which is where an "unknown key" error belongs.
 */
export type Locator = (path: SpecPath, atKey?: boolean) => string | undefined;

export const noLocation: Locator = () => undefined;

/** A locator over a parsed YAML document; falls back to the deepest node the path reaches. */
export function yamlLocator(doc: Document, lines: LineCounter, where: (line: number, col: number) => string): Locator {
  return (path, atKey = false) => {
    let node: unknown = doc.contents;
    let found: Node | undefined = isNode(node) ? node : undefined;
    for (let k = 0; k < path.length; k++) {
      const seg = path[k] as string | number;
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => keyText(p.key) === String(seg));
        if (!pair) break;
        const last = k === path.length - 1;
        if (isNode(pair.key) && (atKey && last || !isNode(pair.value))) {
          found = pair.key;
          break;
        }
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
      } else {
        break;
      }
      if (!isNode(node)) break;
      found = node;
    }
    const offset = found?.range?.[0];
    if (offset === undefined) return undefined;
    const { line, col } = lines.linePos(offset);
    return where(line, col);
  };
}

function isNode(v: unknown): v is Node {
  return v !== null && typeof v === 'object' && 'range' in v;
}

function keyText(k: unknown): string {
  return isScalar(k) ? String(k.value) : String(k);
}

/**
 * The same error with `loc: ` in front of its message (and `note` after its field), so that errors
 * raised by `@credo/core` (checkParam, resolveParams) carry the file position too while keeping
 * their code, field, value and allowed values.
 */
export function relocate(e: CredoError, loc: string | undefined, note?: string): CredoError {
  if (loc === undefined && note === undefined) return e;
  const out = new CredoError(e.code, 'x', { field: e.field, value: e.value, allowed: e.allowed });
  let body = e.message;
  if (note !== undefined) {
    // After the field, where it reads as a qualifier: `rule.scale (for rule "dfa"): invalid value …`.
    const head = e.field === undefined ? '' : `${e.field}:`;
    body = head && body.startsWith(head) ? `${e.field} ${note}:${body.slice(head.length)}` : `${body} ${note}`;
  }
  const message = `${loc === undefined ? '' : `${loc}: `}${body}`;
  Object.defineProperty(out, 'message', { value: message, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(out, 'stack', { value: `CredoError: ${message}\n${(out.stack ?? '').split('\n').slice(1).join('\n')}`, writable: true, configurable: true, enumerable: false });
  return out;
}

/** `; did you mean "x"?` when one candidate is within a couple of edits of `word`, else ''. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  const limit = Math.min(2, Math.max(1, Math.floor(word.length / 3)));
  return best !== undefined && bestD <= limit ? `; did you mean "${best}"?` : '';
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] as number;
}
