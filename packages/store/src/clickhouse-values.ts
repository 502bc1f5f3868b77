import { CredoError } from '@credo/core';

/*
 * Reading ClickHouse results. Every read (the store's own and ad-hoc queries) asks for
 * `TabSeparatedWithNamesAndTypes` and converts each field by its column type, because the JSON
 * formats lose data that matters here and a read-only user may not change the settings that
 * would fix it: NaN and ±Infinity come out as `null` (a diverged loss is data), and 64-bit
 * integers either as strings or, with `output_format_json_quote_64bit_integers=0`, as numbers
 * that silently round beyond 2^53. Converted here, integers are numbers when exact and decimal
 * strings beyond 2^53, floats are numbers with NaN and ±Infinity kept, arrays and tuples are
 * arrays, NULL is null, and everything else (String, Date, DateTime, Enum, UUID, …) is its text.
 */

export interface TextResult {
  readonly columns: string[];
  readonly types: string[];
  readonly rows: unknown[][];
}

/** Parses a whole `TabSeparatedWithNamesAndTypes` response. */
export function parseTsvWithNamesAndTypes(text: string): TextResult {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 2) throw malformed(text);
  const columns = lines[0]!.split('\t').map(unescapeTsv);
  const types = lines[1]!.split('\t').map(unescapeTsv);
  if (columns.length !== types.length) throw malformed(text);
  const converters = types.map(converterFor);
  const rows: unknown[][] = [];
  for (let i = 2; i < lines.length; i++) {
    const fields = lines[i]!.split('\t');
    // An exception the server appended after it had begun to stream (see stack.md: only
    // wait_end_of_query=1 prevents it on 18.16) shows up here as a line of the wrong shape.
    if (fields.length !== columns.length) throw malformed(lines[i]!);
    const row = new Array<unknown>(fields.length);
    for (let c = 0; c < fields.length; c++) row[c] = converters[c]!(fields[c]!);
    rows.push(row);
  }
  return { columns, types, rows };
}

type Converter = (text: string) => unknown;

function converterFor(type: string): Converter {
  const inner = /^(Nullable|LowCardinality)\((.*)\)$/.exec(type);
  if (inner) {
    const conv = converterFor(inner[2]!);
    return inner[1] === 'Nullable' ? (t) => (t === '\\N' ? null : conv(t)) : conv;
  }
  if (/^U?Int(8|16|32)$/.test(type)) return Number;
  if (/^U?Int\d+$/.test(type)) return intValue;
  if (/^Float(32|64)$/.test(type)) return floatValue;
  if (/^Decimal/.test(type)) return Number;
  // Float arrays (curve values, regression seeds) can hold thousands of numbers per row: a
  // split is far faster than the general parser, and their text has no quotes or nesting.
  if (/^Array\(Float(32|64)\)$/.test(type)) return floatArray;
  if (/^(Array|Tuple)\(/.test(type)) return parseQuoted;
  return unescapeTsv;
}

/** A 64-bit (or wider) integer: a number when exact, else its decimal text. */
export function intValue(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

/** A float as ClickHouse prints it (`nan`, `inf`, `-inf` included). */
export function floatValue(text: string): number {
  switch (text) {
    case 'nan':
    case '-nan':
      return NaN;
    case 'inf':
    case '+inf':
      return Infinity;
    case '-inf':
      return -Infinity;
    default:
      return Number(text);
  }
}

const UNESCAPE: Record<string, string> = { b: '\b', f: '\f', r: '\r', n: '\n', t: '\t', '0': '\0', a: '\x07', v: '\v', e: '\x1b' };

/** Undoes TabSeparated escaping (`\t`, `\n`, `\\`, `\'`, `\0`, `\xHH`, …). */
export function unescapeTsv(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\(x[0-9A-Fa-f]{2}|[\s\S])/g, (_, c: string) => {
    if (c.length === 3) return String.fromCharCode(parseInt(c.slice(1), 16));
    return UNESCAPE[c] ?? c;
  });
}

/** `[1.5,nan,-inf]` → numbers. */
function floatArray(text: string): number[] {
  if (text.length < 2 || text[0] !== '[' || text[text.length - 1] !== ']') throw malformed(text);
  if (text.length === 2) return [];
  const parts = text.slice(1, -1).split(',');
  const out = new Array<number>(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const v = floatValue(parts[i]!);
    if (Number.isNaN(v) && !/^-?nan$/.test(parts[i]!)) throw malformed(text);
    out[i] = v;
  }
  return out;
}

/**
 * Parses ClickHouse's quoted text form of a value: `[1,nan,-inf]`, `['a','b\'c']`, `(1,'x')`,
 * `NULL`, nested. Arrays and tuples become arrays.
 */
export function parseQuoted(text: string): unknown {
  const p = { s: text, i: 0 };
  const v = parseValue(p);
  skipSpace(p);
  if (p.i !== text.length) throw malformed(text);
  return v;
}

function parseValue(p: { s: string; i: number }): unknown {
  skipSpace(p);
  const c = p.s[p.i];
  if (c === '[' || c === '(') {
    const close = c === '[' ? ']' : ')';
    p.i++;
    const out: unknown[] = [];
    skipSpace(p);
    if (p.s[p.i] === close) {
      p.i++;
      return out;
    }
    for (;;) {
      out.push(parseValue(p));
      skipSpace(p);
      const d = p.s[p.i++];
      if (d === close) return out;
      if (d !== ',') throw malformed(p.s);
    }
  }
  if (c === "'") {
    let out = '';
    for (p.i++; p.i < p.s.length; p.i++) {
      const ch = p.s[p.i]!;
      if (ch === "'") {
        p.i++;
        return unescapeTsv(out);
      }
      if (ch === '\\') {
        out += ch + (p.s[++p.i] ?? '');
        continue;
      }
      out += ch;
    }
    throw malformed(p.s);
  }
  TOKEN.lastIndex = p.i;
  const m = TOKEN.exec(p.s);
  if (!m) throw malformed(p.s);
  p.i += m[0].length;
  const tok = m[0];
  if (tok === 'NULL') return null;
  if (/^-?\d+$/.test(tok)) return intValue(tok);
  return floatValue(tok);
}

/** A bare token at `lastIndex` (sticky, so that parsing a long array does not copy the rest of the text per element). */
const TOKEN = /[^,\])\s]+/y;

function skipSpace(p: { s: string; i: number }): void {
  while (p.i < p.s.length && /\s/.test(p.s[p.i]!)) p.i++;
}

function malformed(text: string): CredoError {
  const head = text.length > 300 ? `${text.slice(0, 300)}…` : text;
  const server = /Code: \d+[^\n]*/.exec(text);
  return new CredoError('STORE_ERROR', server ? `ClickHouse reported an error in the middle of a result: ${server[0]}` : `malformed result from ClickHouse: ${JSON.stringify(head)}`);
}
