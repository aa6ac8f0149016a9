import type { ChunkPlan, ChunkPlanRequest, ChunkRange, KeyRange } from '../../core/chunk.js';
import { ConfigError } from '../../core/errors.js';
import type { ReadRequest } from '../../core/connector.js';
import type { Batch, LogicalKind, StreamDescriptor, Value } from '../../core/schema.js';
import { decodeValue, encodeValue } from '../../core/values.js';
import { quoteIdent } from './identifiers.js';
import { cursorLiteral, fromClause, trimQuery } from './read-sql.js';

/**
 * Key ranges for MySQL/MariaDB tables with a NOT NULL key. Boundaries are the
 * keys at equal row numbers in key order (`ROW_NUMBER() OVER (ORDER BY key)`,
 * the key's own collation), read through the source's decoders so they are
 * stored as canonical values and rendered back as the same typed literals a
 * cursor bound uses. Comparison is a row comparison `(a, b) >= (...)`.
 */

const WHOLE: ChunkPlan = { ranges: [{ kind: 'key', columns: [], lower: null, upper: null }], fingerprint: 'whole', method: 'one range' };

/** Reads a query through the source (decoded into canonical values). */
export type ReadQuery = (request: ReadRequest) => AsyncIterable<Batch>;

export function boundarySql(request: ChunkPlanRequest, key: readonly string[], defaultDatabase: string | undefined): string {
  const cols = key.map(quoteIdent).join(', ');
  const where = request.read.where !== undefined && request.read.where.trim() !== '' ? ` WHERE (${trimQuery(request.read.where)})` : '';
  const inner = `SELECT ${cols}, ROW_NUMBER() OVER (ORDER BY ${cols}) AS _ferry_rn, COUNT(*) OVER () AS _ferry_n FROM ${fromClause(request.read, defaultDatabase)}${where}`;
  return `SELECT ${cols} FROM (${inner}) s WHERE _ferry_rn > 1 AND MOD(_ferry_rn - 1, CEIL(_ferry_n / ${request.chunks})) = 0 ORDER BY _ferry_rn`;
}

export async function planMysqlChunks(request: ChunkPlanRequest, descriptor: StreamDescriptor, defaultDatabase: string | undefined, readQuery: ReadQuery): Promise<ChunkPlan> {
  if (request.read.target.kind !== 'table' || request.key.length === 0) return WHOLE;
  const columns = request.key.map((k) => descriptor.columns.find((c) => c.name === k));
  if (columns.some((c) => c === undefined || c.nullable)) return WHOLE;
  const fingerprint = `key:${JSON.stringify(request.key)}:${JSON.stringify(columns.map((c) => c?.sourceType ?? '?'))}`;
  if (request.chunks <= 1) return { ...WHOLE, fingerprint };
  const kinds = columns.map((c) => c?.type.kind ?? 'string');
  const sql = boundarySql(request, request.key, defaultDatabase);
  const bounds: string[][] = [];
  for await (const batch of readQuery({ stream: request.read.stream, target: { kind: 'query', sql }, batchSize: 1000 })) {
    for (const row of batch.rows) bounds.push(row.map((v) => encodeValue(v) ?? ''));
  }
  const ranges: ChunkRange[] = [];
  let lower: readonly string[] | null = null;
  for (const bound of bounds) {
    ranges.push({ kind: 'key', columns: request.key, kinds, lower, upper: bound });
    lower = bound;
  }
  ranges.push({ kind: 'key', columns: request.key, kinds, lower, upper: null });
  return { ranges, fingerprint, method: `key (${request.key.join(', ')})` };
}

function tuple(range: KeyRange, bound: readonly string[], stream: string): string {
  const kinds = range.kinds;
  if (!kinds || kinds.length !== range.columns.length) throw new ConfigError('a MySQL key range lacks the kinds of its columns', { stream });
  const literals = bound.map((text, i) => {
    const kind = kinds[i] as LogicalKind;
    const value: Value = decodeValue({ kind }, text);
    if (value === null) throw new ConfigError(`a key range bound of ${stream} is NULL`, { stream });
    return cursorLiteral(value, kind);
  });
  return literals.length === 1 ? (literals[0] as string) : `(${literals.join(', ')})`;
}

/** The predicate of one key range; undefined when it is unbounded. */
export function mysqlChunkCondition(range: ChunkRange, stream: string): string | undefined {
  if (range.kind !== 'key') throw new ConfigError('MySQL reads key ranges only, not page ranges', { stream });
  const key = range.columns.length === 1 ? quoteIdent(range.columns[0] as string) : `(${range.columns.map(quoteIdent).join(', ')})`;
  const parts: string[] = [];
  if (range.lower !== null) parts.push(`${key} >= ${tuple(range, range.lower, stream)}`);
  if (range.upper !== null) parts.push(`${key} < ${tuple(range, range.upper, stream)}`);
  return parts.length > 0 ? parts.join(' AND ') : undefined;
}
