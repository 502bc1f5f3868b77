import {
  DuckDBDecimalValue,
  DuckDBTypeId,
  JsonDuckDBValueConverter,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
  type DuckDBValueConverter,
  type Json,
} from '@duckdb/node-api';

/**
 * Converts DuckDB values to plain JS values that `JSON.stringify` accepts and that scripts can
 * compute with: integers of every width become numbers (or decimal strings beyond 2^53, where a
 * number would silently round), DECIMAL becomes a number, floating-point values stay numbers
 * (NaN and ±Infinity included: they are data, e.g. a diverged loss), and everything else takes
 * DuckDB's own JSON form (timestamps and dates as DuckDB prints them, lists as arrays, structs
 * as objects). The stock JSON converter would turn every BIGINT (and `count(*)`) into a string
 * and NaN into `"NaN"`; the stock JS one returns `bigint`, which `JSON.stringify` refuses.
 */
export const jsonSafeConverter: DuckDBValueConverter<Json> = (value, type, converter) => {
  if (value === null) return null;
  switch (type.typeId) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
      return safeNumber(value as bigint);
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return value as number;
    case DuckDBTypeId.DECIMAL:
      return (value as DuckDBDecimalValue).toDouble();
    default:
      // Nested types recurse through `converter`, which is this function again.
      return JsonDuckDBValueConverter(value, type, converter);
  }
};

function safeNumber(v: bigint): number | string {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v.toString();
}

/** Runs a statement and returns its rows converted by {@link jsonSafeConverter}. */
export async function readRows(
  conn: DuckDBConnection,
  sql: string,
  params?: Record<string, DuckDBValue>,
  types?: Record<string, DuckDBType | undefined>,
): Promise<unknown[][]> {
  const reader = await conn.runAndReadAll(sql, params, types);
  return reader.convertRows(jsonSafeConverter) as unknown[][];
}
