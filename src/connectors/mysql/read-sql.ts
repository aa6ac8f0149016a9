import type { CursorRead, ReadRequest } from '../../core/connector.js';
import { DataError } from '../../core/errors.js';
import type { Column, LogicalKind, Value } from '../../core/schema.js';
import { mysqlChunkCondition } from './chunk-planner.js';
import { filterSql } from './filter-sql.js';
import { hexLiteral, quoteIdent, quoteLiteral, quoteTable } from './identifiers.js';

/**
 * The statements a read runs. Cursor bounds are rendered as literals typed so
 * MySQL compares them exactly: decimals unquoted (a quoted string against a
 * DECIMAL column would be compared as a double), floats with an exponent,
 * bytes as hex, everything else a quoted string the column converts.
 */

/**
 * A query ready to be wrapped as a subquery: no trailing semicolon, and a line
 * break before the closing parenthesis when a `--` or `#` comment could swallow it.
 */
export function trimQuery(sql: string): string {
  const body = sql.replace(/[\s;]+$/, '');
  return /--|#/.test(body) ? `${body}\n` : body;
}

const NUMERIC_KINDS: ReadonlySet<LogicalKind> = new Set(['int16', 'int32', 'int64']);

/** Canonical timestamps use `T` and `Z`; MySQL literals use a space and no zone. */
function dateTimeText(text: string): string {
  return text.replace('T', ' ').replace(/Z$/, '');
}

/** A literal MySQL compares exactly with a column of `kind`. */
export function cursorLiteral(value: Exclude<Value, null>, kind: LogicalKind): string {
  if (value instanceof Uint8Array) return hexLiteral(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (NUMERIC_KINDS.has(kind)) return String(value);
  if (kind === 'float32' || kind === 'float64') {
    const n = Number(value);
    if (!Number.isFinite(n)) throw new DataError(`cursor value ${String(value)} cannot be compared in MySQL`);
    return n.toExponential();
  }
  const text = String(value);
  if (kind === 'decimal' && /^-?\d+(\.\d+)?$/.test(text)) return text;
  if (kind === 'timestamp' || kind === 'timestamptz') return quoteLiteral(dateTimeText(text));
  return quoteLiteral(text);
}

function cursorCondition(cursor: CursorRead): string | undefined {
  const column = quoteIdent(cursor.column);
  const parts: string[] = [];
  if (cursor.from !== undefined && cursor.from !== null) parts.push(`${column} >= ${cursorLiteral(cursor.from, cursor.type.kind)}`);
  // The upper end of a chunked read's cursor window (inclusive).
  if (cursor.to !== undefined && cursor.to !== null) parts.push(`${column} <= ${cursorLiteral(cursor.to, cursor.type.kind)}`);
  if (parts.length === 0) return undefined;
  const bound = parts.join(' AND ');
  return cursor.includeNulls ? `(${bound} OR ${column} IS NULL)` : bound;
}

/**
 * One select-list item. FLOAT is widened to DOUBLE on the server: MySQL
 * prints FLOAT with 6 significant digits, the double holds every bit.
 */
function selectItem(column: Column): string {
  const name = quoteIdent(column.name);
  return column.type.kind === 'float32' && column.sourceEngine === 'mysql' && /^float/i.test(column.sourceType ?? '') ? `(${name} + 0e0) AS ${name}` : name;
}

/** The FROM clause of a read: the table (in the default database unless named) or the query as a derived table. */
export function fromClause(request: ReadRequest, defaultDatabase: string | undefined): string {
  const target = request.target;
  if (target.kind === 'query') return `(${trimQuery(target.sql)}) q`;
  const schema = target.table.schema ?? defaultDatabase;
  return quoteTable(schema === undefined ? { name: target.table.name } : { schema, name: target.table.name });
}

/** The WHERE clause (with its keyword), or nothing. */
export function whereClause(request: ReadRequest): string {
  const conditions: string[] = [];
  if (request.where !== undefined && request.where.trim() !== '') conditions.push(`(${trimQuery(request.where)})`);
  for (const filter of request.filters ?? []) conditions.push(filterSql(filter));
  const bound = request.cursor ? cursorCondition(request.cursor) : undefined;
  if (bound !== undefined) conditions.push(bound);
  const chunk = request.chunk ? mysqlChunkCondition(request.chunk, request.stream) : undefined;
  if (chunk !== undefined) conditions.push(chunk);
  return conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
}

/** The SELECT a read runs, with its columns, where and cursor bound. */
export function selectSql(request: ReadRequest, columns: readonly Column[] | undefined, defaultDatabase: string | undefined): string {
  return `SELECT ${columns === undefined ? '*' : columns.map(selectItem).join(', ')} FROM ${fromClause(request, defaultDatabase)}${whereClause(request)}`;
}

/** Exact row count of a read. */
export function countSql(request: ReadRequest, defaultDatabase: string | undefined): string {
  return `SELECT COUNT(*) AS n FROM ${fromClause(request, defaultDatabase)}${whereClause(request)}`;
}
