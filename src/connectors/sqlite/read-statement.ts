import type { CursorRead, ReadRequest } from '../../core/connector.js';
import { ConfigError } from '../../core/errors.js';
import type { Column, StreamDescriptor } from '../../core/schema.js';
import { encodeValue } from '../../core/values.js';
import { valueBinderFor, type SqliteParameter } from './bind-value.js';
import { sqliteChunkCondition } from './chunk-planner.js';
import { filterSql } from './filter-sql.js';
import { quoteIdentifier } from './sql-identifier.js';
import { tableSql } from './table-shape.js';

/** The SELECT a read runs, its parameters and the columns it yields. */
export interface ReadStatement {
  readonly sql: string;
  readonly params: readonly SqliteParameter[];
  readonly columns: readonly Column[];
  /** Index of the extra rowid column (for error messages), if selected. */
  readonly rowidIndex: number | undefined;
}

export interface ReadStatementOptions {
  readonly request: ReadRequest;
  readonly shape: StreamDescriptor;
  readonly rowid: string | undefined;
}

/**
 * How a cursor column compares with its bound value. Text timestamps may be
 * stored with a space or a `T` separator; comparing the `T` form keeps `>=`
 * right for both. Decimals stored as text compare as numbers (to SQLite's 15
 * digits: the bound stays inclusive, a few boundary rows may be read again and
 * are removed by the engine's key dedup).
 */
function cursorCondition(cursor: CursorRead): { sql: string; params: SqliteParameter[] } {
  const column = quoteIdentifier(cursor.column);
  const tests: string[] = [];
  const params: SqliteParameter[] = [];
  const compare = (op: '>=' | '<=', value: CursorRead['from']): void => {
    params.push(cursor.type.kind === 'decimal' ? encodeValue(value ?? null) : valueBinderFor(cursor.type)(value ?? null));
    if (cursor.type.kind === 'timestamp') tests.push(`replace(${column}, ' ', 'T') ${op} ?`);
    else if (cursor.type.kind === 'decimal') tests.push(`CAST(${column} AS NUMERIC) ${op} CAST(? AS NUMERIC)`);
    else tests.push(`${column} ${op} ?`);
  };
  if (cursor.from !== undefined) compare('>=', cursor.from);
  // The upper end of a chunked read's cursor window (inclusive).
  if (cursor.to !== undefined && cursor.to !== null) compare('<=', cursor.to);
  const test = tests.join(' AND ');
  return { sql: cursor.includeNulls ? `(${test} OR ${column} IS NULL)` : test, params };
}

function selectedColumns(request: ReadRequest, shape: StreamDescriptor): Column[] {
  if (request.columns === undefined) return [...shape.columns];
  return request.columns.map((name) => {
    const column = shape.columns.find((c) => c.name === name) ?? shape.columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
    if (!column) throw new ConfigError(`column "${name}" not found in ${shape.name}`, { stream: request.stream, hint: `columns: ${shape.columns.map((c) => c.name).join(', ')}` });
    return column;
  });
}

/** Build the read: selected columns, the user's `where`, the inclusive cursor bound as a parameter. */
export function readStatement(options: ReadStatementOptions): ReadStatement {
  const { request, shape } = options;
  const columns = selectedColumns(request, shape);
  const from = request.target.kind === 'table' ? tableSql(request.target.table) : `(${request.target.sql}) AS "_ferry_query"`;
  const rowid = request.target.kind === 'table' ? options.rowid : undefined;
  const list = [...columns.map((c) => quoteIdentifier(c.name)), ...(rowid ? [rowid] : [])];
  const conditions: string[] = [];
  const params: SqliteParameter[] = [];
  if (request.where !== undefined) conditions.push(`(${request.where})`);
  for (const filter of request.filters ?? []) {
    const predicate = filterSql(filter);
    conditions.push(predicate.sql);
    params.push(...predicate.params);
  }
  if (request.cursor && (request.cursor.from !== undefined || (request.cursor.to !== undefined && request.cursor.to !== null))) {
    const condition = cursorCondition(request.cursor);
    conditions.push(condition.sql);
    params.push(...condition.params);
  } else if (request.cursor && !request.cursor.includeNulls) {
    conditions.push(`${quoteIdentifier(request.cursor.column)} IS NOT NULL`);
  }
  const chunk = request.chunk ? sqliteChunkCondition(request.chunk, request.stream) : undefined;
  if (chunk) {
    conditions.push(chunk.sql);
    params.push(...chunk.params);
  }
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  return {
    sql: `SELECT ${list.join(', ')} FROM ${from}${where}`,
    params,
    columns,
    rowidIndex: rowid ? columns.length : undefined,
  };
}
