import type { Column, LogicalType, Row, Value } from '../../core/schema.js';
import { DEFAULT_MAX_ROWS, type ExecuteOptions, type SqlResult } from '../../core/sql-result.js';
import type { SqliteDatabase } from './database.js';
import { valueReaderFor } from './read-value.js';
import { logicalTypeOf } from './type-map.js';

/** What SQLite stored, when a result column has no declared type (an expression such as max(x)). */
function storedType(value: unknown): LogicalType {
  if (typeof value === 'bigint') return { kind: 'int64' };
  if (typeof value === 'number') return { kind: 'float64' };
  if (value instanceof Uint8Array) return { kind: 'bytes' };
  return { kind: 'string' };
}

function readCell(value: unknown, type: LogicalType): Value {
  if (value === null || value === undefined) return null;
  try {
    return valueReaderFor(type)(value);
  } catch {
    // A value its declared type cannot hold (SQLite types are advisory) is shown as stored.
    return typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string' || value instanceof Uint8Array ? value : String(value);
  }
}

/**
 * Run one statement (or, for hooks, a script of several: then no rows and no
 * count come back). Rows are read as canonical values of each column's
 * declared type, or of what was stored when the column is an expression.
 */
export function executeSql(db: SqliteDatabase, sql: string, options: ExecuteOptions = {}): SqlResult {
  let statement: ReturnType<typeof db.prepare<unknown[]>>;
  try {
    statement = db.prepare<unknown[]>(sql);
  } catch (error) {
    if (!(error instanceof RangeError) || !/more than one statement/.test(error.message)) throw error;
    db.exec(sql);
    return { columns: [], rows: [], truncated: false, rowsAffected: null };
  }
  if (!statement.reader) {
    const info = statement.run();
    return { columns: [], rows: [], truncated: false, rowsAffected: info.changes };
  }
  const declared = statement.columns();
  const limit = options.maxRows ?? DEFAULT_MAX_ROWS;
  const raw: unknown[][] = [];
  let truncated = false;
  for (const row of statement.raw(true).iterate() as IterableIterator<unknown[]>) {
    if (raw.length >= limit) {
      truncated = true;
      break;
    }
    raw.push(row);
  }
  const types = declared.map((c, i): LogicalType => (c.type ? logicalTypeOf(c.type) : storedType(raw.find((r) => r[i] !== null)?.[i])));
  const columns: Column[] = declared.map((c, i) => ({ name: c.name, type: types[i] as LogicalType, nullable: true }));
  const rows: Row[] = raw.map((r) => r.map((v, i) => readCell(v, types[i] as LogicalType)));
  return { columns, rows, truncated, rowsAffected: null };
}
