import type { CursorRead, ReadRequest } from '../../core/connector.js';
import type { LogicalKind, Value } from '../../core/schema.js';
import { chunkCondition } from './chunk-sql.js';
import { filterSql } from './filter-sql.js';
import { quoteColumns, quoteIdent, quoteLiteral, quoteTable } from './identifiers.js';

/**
 * The statements a read runs. COPY cannot take bind parameters, so the cursor
 * bound is rendered as a quoted, typed literal (quoteLiteral doubles quotes;
 * the session runs with standard_conforming_strings=on).
 */

/**
 * A query ready to be wrapped as a subquery: no trailing semicolon, and a line
 * break before the closing parenthesis when a `--` comment could swallow it.
 */
export function trimQuery(sql: string): string {
  const body = sql.replace(/[\s;]+$/, '');
  return body.includes('--') ? `${body}\n` : body;
}

/** Cast for a cursor literal. String-like kinds stay untyped so Postgres gives them the column's own type (varchar, enum, inet...). */
const CURSOR_CASTS: Readonly<Partial<Record<LogicalKind, string>>> = {
  boolean: 'boolean',
  int16: 'smallint',
  int32: 'integer',
  int64: 'bigint',
  float32: 'double precision',
  float64: 'double precision',
  decimal: 'numeric',
  bytes: 'bytea',
  uuid: 'uuid',
  date: 'date',
  time: 'time',
  timetz: 'time with time zone',
  timestamp: 'timestamp',
  timestamptz: 'timestamp with time zone',
  interval: 'interval',
};

function valueText(value: Exclude<Value, null>): string {
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  return String(value);
}

/** `'2024-01-02T03:04:05.5Z'::timestamp with time zone` */
export function cursorLiteral(value: Exclude<Value, null>, kind: LogicalKind): string {
  const cast = CURSOR_CASTS[kind];
  const literal = quoteLiteral(valueText(value));
  return cast === undefined ? literal : `${literal}::${cast}`;
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

/** The SELECT a read runs (inside COPY), with columns, where and cursor bound. */
export function selectSql(request: ReadRequest, defaultSchema: string): string {
  const columns = request.columns === undefined ? '*' : quoteColumns(request.columns);
  const target = request.target;
  const from =
    target.kind === 'query'
      ? `(${trimQuery(target.sql)}) q`
      : quoteTable({ schema: target.table.schema ?? defaultSchema, name: target.table.name });
  const conditions: string[] = [];
  if (request.where !== undefined && request.where.trim() !== '') conditions.push(`(${trimQuery(request.where)})`);
  for (const filter of request.filters ?? []) conditions.push(filterSql(filter));
  const bound = request.cursor ? cursorCondition(request.cursor) : undefined;
  if (bound !== undefined) conditions.push(bound);
  const chunk = request.chunk ? chunkCondition(request.chunk, request) : undefined;
  if (chunk !== undefined) conditions.push(chunk);
  return `SELECT ${columns} FROM ${from}${conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : ''}`;
}

/** `COPY (SELECT ...) TO STDOUT` in text or binary format. */
export function copyOutSql(request: ReadRequest, defaultSchema: string, format: 'text' | 'binary'): string {
  return `COPY (${selectSql(request, defaultSchema)}) TO STDOUT${format === 'binary' ? ' (FORMAT binary)' : ''}`;
}

/** Exact row count of a read. */
export function countSql(request: ReadRequest, defaultSchema: string): string {
  return `SELECT count(*) AS n FROM (${selectSql(request, defaultSchema)}) c`;
}
