import { StatementType, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import type { Column, Row, Value } from '../../core/schema.js';
import { DEFAULT_MAX_ROWS, type ExecuteOptions, type SqlResult } from '../../core/sql-result.js';
import { valueReaderFor } from './read-value.js';
import { readColumnType } from './type-map.js';

const DATA_CHANGES: ReadonlySet<StatementType> = new Set([StatementType.INSERT, StatementType.UPDATE, StatementType.DELETE]);

function readCell(value: DuckDBValue, column: Column): Value {
  if (value === null) return null;
  // Result strings arrive decoded (the data path reads VARCHAR as bytes to keep a BOM; hooks need not).
  if (typeof value === 'string') return value;
  try {
    return valueReaderFor(column.type)(value);
  } catch {
    return String(value);
  }
}

/**
 * Run one statement (a script of several is allowed: the last one's result is
 * returned) and read its first rows as canonical values.
 */
export async function executeSql(conn: DuckDBConnection, sql: string, options: ExecuteOptions = {}): Promise<SqlResult> {
  const limit = options.maxRows ?? DEFAULT_MAX_ROWS;
  const reader = await conn.streamAndReadUntil(sql, limit + 1);
  if (DATA_CHANGES.has(reader.statementType)) return { columns: [], rows: [], truncated: false, rowsAffected: reader.rowsChanged };
  const names = reader.columnNames();
  const columns: Column[] = reader.columnTypes().map((type, i) => ({ name: names[i] ?? `column${i}`, type: readColumnType(type).type, nullable: true }));
  const all = reader.getRows();
  const rows: Row[] = all.slice(0, limit).map((raw) => raw.map((v, i) => readCell(v, columns[i] as Column)));
  return { columns, rows, truncated: all.length > limit, rowsAffected: null };
}
