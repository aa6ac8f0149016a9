import type { ChunkPlan, ChunkPlanRequest, ChunkRange, KeyRange } from '../../core/chunk.js';
import { ConfigError } from '../../core/errors.js';
import type { ReadRequest } from '../../core/connector.js';
import type { Batch, LogicalKind, Row, StreamDescriptor, Value } from '../../core/schema.js';
import { decodeValue, encodeValue } from '../../core/values.js';
import { quoteIdent } from './identifiers.js';
import { cursorLiteral, fromClause, trimQuery } from './read-sql.js';

/**
 * Key ranges for MySQL/MariaDB tables with a NOT NULL key. A single integer
 * key is split into equal steps between its MIN and MAX (two index lookups, no
 * scan); other keys get the keys at equal row numbers in key order
 * (`ROW_NUMBER() OVER (ORDER BY key)`, the key's own collation: a full scan of
 * the key). Boundaries are read through the source's decoders so they are
 * stored as canonical values and rendered back as the same typed literals a
 * cursor bound uses. Comparison is a row comparison `(a, b) >= (...)`.
 */

const INTEGER_KINDS: readonly LogicalKind[] = ['int16', 'int32', 'int64'];

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
  const stepped = kinds.length === 1 && INTEGER_KINDS.includes(kinds[0] as LogicalKind);
  const steps = stepped ? await integerBounds(request, request.key[0] as string, descriptor.estimatedRows, defaultDatabase, readQuery) : undefined;
  const bounds = steps ?? (await rowNumberBounds(request, defaultDatabase, readQuery));
  const ranges: ChunkRange[] = [];
  let lower: readonly string[] | null = null;
  for (const bound of bounds) {
    ranges.push({ kind: 'key', columns: request.key, kinds, lower, upper: bound });
    lower = bound;
  }
  ranges.push({ kind: 'key', columns: request.key, kinds, lower, upper: null });
  return { ranges, fingerprint, method: `key (${request.key.join(', ')})${steps ? ', equal steps between MIN and MAX' : ', row numbers'}` };
}

async function queryRows(request: ChunkPlanRequest, sql: string, readQuery: ReadQuery): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const batch of readQuery({ stream: request.read.stream, target: { kind: 'query', sql }, batchSize: 1000 })) rows.push(...batch.rows);
  return rows;
}

async function rowNumberBounds(request: ChunkPlanRequest, defaultDatabase: string | undefined, readQuery: ReadQuery): Promise<string[][]> {
  const rows = await queryRows(request, boundarySql(request, request.key, defaultDatabase), readQuery);
  return rows.map((row) => row.map((v) => encodeValue(v) ?? ''));
}

/** Keys spanning more than this many times the table's estimated rows are too sparse to split by value. */
const MAX_SPAN_PER_ROW = 4;

/**
 * Lower bounds of chunks 2..n for one integer key: MIN + i * step. Rows are
 * spread evenly when the keys are dense (auto-increment ids); gaps only make
 * some chunks smaller, every row still falls in exactly one range. Undefined
 * when the keys are sparse (span far above the row estimate): row numbers then.
 */
async function integerBounds(
  request: ChunkPlanRequest,
  key: string,
  estimatedRows: number | undefined,
  defaultDatabase: string | undefined,
  readQuery: ReadQuery,
): Promise<string[][] | undefined> {
  const column = quoteIdent(key);
  const where = request.read.where !== undefined && request.read.where.trim() !== '' ? ` WHERE (${trimQuery(request.read.where)})` : '';
  const sql = `SELECT MIN(${column}) AS lo, MAX(${column}) AS hi FROM ${fromClause(request.read, defaultDatabase)}${where}`;
  const [row] = await queryRows(request, sql, readQuery);
  const lo = row?.[0];
  const hi = row?.[1];
  if (lo === null || lo === undefined || hi === null || hi === undefined) return [];
  const [low, high] = [BigInt(lo as bigint | number | string), BigInt(hi as bigint | number | string)];
  if (estimatedRows === undefined || high - low + 1n > BigInt(MAX_SPAN_PER_ROW) * BigInt(Math.max(1, Math.ceil(estimatedRows)))) return undefined;
  const chunks = BigInt(request.chunks);
  const step = (high - low + chunks) / chunks;
  const bounds: string[][] = [];
  for (let bound = low + step; step > 0n && bound <= high; bound += step) bounds.push([bound.toString()]);
  return bounds;
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
