import type { ChunkRange, KeyRange } from '../../core/chunk.js';
import { ConfigError } from '../../core/errors.js';
import type { ReadRequest } from '../../core/connector.js';
import { quoteColumns, quoteIdent, quoteLiteral, quoteTable } from './identifiers.js';
import { trimQuery } from './read-sql.js';

/**
 * SQL for chunked reads. Key bounds are Postgres' own text output of the key
 * values (lossless for every type with a btree ordering, the session fixes
 * TimeZone and DateStyle) written back as untyped literals, so each takes the
 * column's type, and the comparison uses the column's collation: the same
 * ordering the planning query sorted by, hence no row falls between ranges.
 */

/** Rows to sample when a table is larger than this (estimated). */
export const SAMPLE_ROWS = 100_000;

function keyTuple(columns: readonly string[]): string {
  return columns.length === 1 ? quoteIdent(columns[0] as string) : `(${quoteColumns(columns)})`;
}

function literalTuple(values: readonly string[]): string {
  const literals = values.map((v) => quoteLiteral(v));
  return literals.length === 1 ? (literals[0] as string) : `(${literals.join(', ')})`;
}

function keyCondition(range: KeyRange): string | undefined {
  const tuple = keyTuple(range.columns);
  const parts: string[] = [];
  if (range.lower !== null) parts.push(`${tuple} >= ${literalTuple(range.lower)}`);
  if (range.upper !== null) parts.push(`${tuple} < ${literalTuple(range.upper)}`);
  return parts.length > 0 ? parts.join(' AND ') : undefined;
}

/** The predicate selecting one chunk's rows; undefined for an unbounded range. */
export function chunkCondition(range: ChunkRange, request: ReadRequest): string | undefined {
  if (range.kind === 'key') return keyCondition(range);
  if (request.target.kind !== 'table') {
    throw new ConfigError('page (ctid) ranges apply to tables only', { stream: request.stream });
  }
  const from = `ctid >= '(${Math.trunc(range.fromPage)},0)'::tid`;
  return range.toPage === null ? from : `${from} AND ctid < '(${Math.trunc(range.toPage)},0)'::tid`;
}

export interface BoundaryQuery {
  readonly table: string;
  readonly key: readonly string[];
  readonly chunks: number;
  /** TABLESAMPLE SYSTEM percentage; undefined reads every key. */
  readonly samplePercent?: number;
  readonly where?: string;
}

/**
 * The lowest key of buckets 2..n of `ntile(n)` over the (sampled) keys, in key
 * order: the lower bounds of chunks 2..n. One column per key part, as text.
 */
export function boundarySql(query: BoundaryQuery): string {
  const cols = quoteColumns(query.key);
  const sample = query.samplePercent === undefined ? '' : ` TABLESAMPLE SYSTEM (${query.samplePercent.toFixed(4)})`;
  const where = query.where !== undefined && query.where.trim() !== '' ? ` WHERE (${trimQuery(query.where)})` : '';
  const texts = query.key.map((k, i) => `${quoteIdent(k)}::text AS k${i}`).join(', ');
  return (
    `SELECT DISTINCT ON (b) ${texts} FROM (SELECT ${cols}, ntile(${query.chunks}) OVER (ORDER BY ${cols}) AS b ` +
    `FROM ${query.table}${sample}${where}) s WHERE b > 1 ORDER BY b, ${cols}`
  );
}

/** Size and identity of a table: estimated rows, heap pages, and the file node that changes on rewrite. */
export function tableStatsSql(): string {
  return (
    'SELECT c.reltuples::float8 AS reltuples, (pg_relation_size(c.oid) / current_setting(\'block_size\')::int)::bigint::text AS pages, ' +
    'c.relfilenode::text AS node, c.relkind::text AS kind FROM pg_class c WHERE c.oid = $1::regclass'
  );
}

export function qualifiedTable(request: ReadRequest, defaultSchema: string): string | undefined {
  if (request.target.kind !== 'table') return undefined;
  return quoteTable({ schema: request.target.table.schema ?? defaultSchema, name: request.target.table.name });
}
