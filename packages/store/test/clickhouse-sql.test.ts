import { describe, expect, it } from 'vitest';
import { CredoError } from '@credo/core';
import {
  escapeString,
  identifier,
  maskUrl,
  parseClickHouseUrl,
  parseQuoted,
  parseTsvWithNamesAndTypes,
  sql,
  sqlList,
  sqlValue,
  trialVersion,
  tsvField,
} from '@credo/store';

// Pure parts of the ClickHouse adapter. The round trips through a real 18.16 server (escaping
// included) are in test/store-conformance.test.ts, which can start one.

describe('ClickHouse escaping', () => {
  it('escapes exactly tab, newline, CR, quote, backslash and NUL', () => {
    expect(escapeString("O'Brien")).toBe("O\\'Brien");
    expect(escapeString('a\\b')).toBe('a\\\\b');
    expect(escapeString('a\tb\nc\rd')).toBe('a\\tb\\nc\\rd');
    expect(escapeString('nul\0x')).toBe('nul\\0x');
    expect(escapeString('ünï 日本 🎉 "dq" `bt`')).toBe('ünï 日本 🎉 "dq" `bt`');
    expect(escapeString('')).toBe('');
  });

  it('formats literals like the client formatQueryParams does, with NaN/Inf, NULL, arrays and booleans', () => {
    expect(sqlValue("it's")).toBe("'it\\'s'");
    expect(sqlValue(42)).toBe('42');
    expect(sqlValue(-1.5e-7)).toBe('-1.5e-7');
    expect(sqlValue(NaN)).toBe('nan');
    expect(sqlValue(Infinity)).toBe('inf');
    expect(sqlValue(-Infinity)).toBe('-inf');
    expect(sqlValue(-0)).toBe('-0');
    expect(sqlValue(12345678901234567890n)).toBe('12345678901234567890');
    expect(sqlValue(null)).toBe('NULL');
    expect(sqlValue(undefined)).toBe('NULL');
    expect(sqlValue(true)).toBe('1');
    expect(sqlValue(['a', "b'c", null, 1, [NaN]])).toBe("['a','b\\'c',NULL,1,[nan]]");
    expect(() => sqlValue({} as never)).toThrow(CredoError);
  });

  it('writes TSV fields: strings unquoted, NULL as \\N, arrays in their quoted form', () => {
    expect(tsvField('a\tb')).toBe('a\\tb');
    expect(tsvField(null)).toBe('\\N');
    expect(tsvField(['x', "y'z"])).toBe("['x','y\\'z']");
    expect(tsvField(NaN)).toBe('nan');
  });

  it('quotes every interpolation of the sql tag; sqlList and identifier are the raw escape hatches', () => {
    const evil = "x' OR 1=1 --";
    expect(sql`SELECT * FROM t WHERE k = ${evil}`).toBe("SELECT * FROM t WHERE k = 'x\\' OR 1=1 --'");
    expect(sql`SELECT ${sqlList(['a', 'b'])}`).toBe("SELECT 'a', 'b'");
    expect(sql`SELECT * FROM ${identifier('metrics')}`).toBe('SELECT * FROM metrics');
    expect(() => identifier('metrics; DROP TABLE x')).toThrow(CredoError);
  });
});

describe('ClickHouse result parsing', () => {
  it('converts TabSeparatedWithNamesAndTypes fields by type', () => {
    const text = [
      ['s', 'u64', 'big', 'i32', 'f', 'n', 'ns', 'a', 't', 'd', 'lc'].join('\t'),
      ['String', 'UInt64', 'UInt64', 'Int32', 'Float64', 'Nullable(Float64)', 'Nullable(String)', 'Array(Float64)', "Tuple(UInt8, String)", 'DateTime', 'LowCardinality(String)'].join('\t'),
      ["a\\tb\\\\c\\'d\\0", '42', '18446744073709551615', '-7', 'nan', '\\N', '\\N', '[1,nan,-inf,inf]', "(1,'x,)')", '2024-01-31 12:00:00', 'lc'].join('\t'),
      ['', '0', '9007199254740993', '0', '-inf', '1.5', 'ok', '[]', "(2,'')", '1970-01-01 00:00:00', ''].join('\t'),
      '',
    ].join('\n');
    const r = parseTsvWithNamesAndTypes(text);
    expect(r.columns).toEqual(['s', 'u64', 'big', 'i32', 'f', 'n', 'ns', 'a', 't', 'd', 'lc']);
    expect(r.rows[0]).toEqual(["a\tb\\c'd\0", 42, '18446744073709551615', -7, NaN, null, null, [1, NaN, -Infinity, Infinity], [1, 'x,)'], '2024-01-31 12:00:00', 'lc']);
    expect(r.rows[1]).toEqual(['', 0, '9007199254740993', 0, -Infinity, 1.5, 'ok', [], [2, ''], '1970-01-01 00:00:00', '']);
  });

  it('parses nested quoted values', () => {
    expect(parseQuoted("[['a','b\\'c'],[],[NULL]]")).toEqual([['a', "b'c"], [], [null]]);
    expect(parseQuoted('[(1, 2.5), (3, nan)]')).toEqual([[1, 2.5], [3, NaN]]);
  });

  it('refuses a line of the wrong shape, naming a server error appended mid-stream', () => {
    const text = 'n\nUInt64\n1\n2\nCode: 395, e.displayText() = DB::Exception: Value passed to \'throwIf\' function is non zero\tx\n';
    expect(() => parseTsvWithNamesAndTypes(text)).toThrow(/Code: 395/);
  });
});

describe('ClickHouse store URL', () => {
  it('parses clickhouse:// with user, password, port and database', () => {
    expect(parseClickHouseUrl('clickhouse://credo:s3cret@db.lab:8124/sweeps')).toEqual({ url: 'http://db.lab:8124', username: 'credo', password: 's3cret', database: 'sweeps' });
  });

  it('fills defaults: port 8123 (8443 with TLS), user default, database credo', () => {
    expect(parseClickHouseUrl('clickhouse://127.0.0.1')).toEqual({ url: 'http://127.0.0.1:8123', username: 'default', password: '', database: 'credo' });
    expect(parseClickHouseUrl('clickhouses://h/')).toMatchObject({ url: 'https://h:8443', database: 'credo' });
    expect(parseClickHouseUrl('https://u@h:9443/x')).toMatchObject({ url: 'https://h:9443', username: 'u', password: '', database: 'x' });
    expect(parseClickHouseUrl('http://h:8123/x')).toMatchObject({ url: 'http://h:8123', database: 'x' });
  });

  it('percent-decodes user and password', () => {
    expect(parseClickHouseUrl('clickhouse://us%40er:p%40ss%3Aw%2Frd@h/db')).toMatchObject({ username: 'us@er', password: 'p@ss:w/rd' });
  });

  it('refuses bad URLs with a message that does not contain the password', () => {
    for (const bad of [
      'postgres://u:hunter22@h/db',
      'clickhouse://u:hunter22@h/db/extra',
      'clickhouse://u:hunter22@h/bad-name',
      'clickhouse://u:hunter22@h/db?secure=1',
      'clickhouse://u:hunter22@',
      'not a url hunter22',
    ]) {
      let err: unknown;
      try {
        parseClickHouseUrl(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(CredoError);
      expect((err as CredoError).code).toBe('STORE_ERROR');
      if (bad.includes('@')) expect((err as CredoError).message, bad).not.toContain('hunter22');
    }
  });

  it('masks passwords in URLs', () => {
    expect(maskUrl('clickhouse://credo:s3cret@db:8123/credo')).toBe('clickhouse://credo:***@db:8123/credo');
    expect(maskUrl('see http://a:b@c and clickhouse://x:y@z/w')).toBe('see http://a:***@c and clickhouse://x:***@z/w');
    expect(maskUrl('clickhouse://nopass@h/db')).toBe('clickhouse://nopass@h/db');
  });
});

describe('trial row versions', () => {
  it('let the latest attempt win, and within an attempt a final status beat running', () => {
    expect(trialVersion(1, 'done')).toBeGreaterThan(trialVersion(1, 'running'));
    expect(trialVersion(2, 'running')).toBeGreaterThan(trialVersion(1, 'done'));
    expect(trialVersion(2, 'failed')).toBe(trialVersion(2, 'done'));
    expect(trialVersion(1, 'running')).toBeGreaterThan(trialVersion(1, 'pending'));
  });
});
