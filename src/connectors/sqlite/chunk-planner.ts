import { createHash } from 'node:crypto';
import type { ChunkPlan, ChunkPlanRequest, ChunkRange, KeyRange } from '../../core/chunk.js';
import { ConfigError } from '../../core/errors.js';
import type { SqliteDatabase } from './database.js';
import type { SqliteParameter } from './bind-value.js';
import { tableSql, type TableShape } from './table-shape.js';

/** Names SQLite accepts for the rowid (the shape picks one no column shadows). */
const ROWID_NAMES: readonly string[] = ['rowid', '_rowid_', 'oid'];

const WHOLE: ChunkPlan = { ranges: [{ kind: 'key', columns: [], lower: null, upper: null }], fingerprint: 'whole', method: 'one range' };

/**
 * Rowid ranges of a rowid table: boundaries are the rowids at equal offsets in
 * rowid order (of the rows the stream's `where` keeps), found by walking the
 * table's b-tree. Views, queries and WITHOUT ROWID tables read in one piece.
 */
export function planSqliteChunks(db: SqliteDatabase, request: ChunkPlanRequest, shape: TableShape): ChunkPlan {
  const { read } = request;
  const rowid = shape.rowid;
  if (read.target.kind !== 'table' || rowid === undefined) return WHOLE;
  const ddl = String(db.prepare('SELECT sql FROM sqlite_master WHERE name = ? COLLATE NOCASE').pluck().get(read.target.table.name) ?? '');
  const fingerprint = `rowid:${createHash('sha256').update(ddl).digest('hex').slice(0, 16)}`;
  if (request.chunks <= 1) return { ...WHOLE, fingerprint };
  const from = tableSql(read.target.table);
  const where = read.where !== undefined ? ` WHERE (${read.where})` : '';
  const count = Number(db.prepare(`SELECT count(*) FROM ${from}${where}`).pluck().get());
  const n = Math.min(request.chunks, count);
  if (n <= 1) return { ...WHOLE, fingerprint };
  const at = db.prepare(`SELECT ${rowid} FROM ${from}${where} ORDER BY ${rowid} LIMIT 1 OFFSET ?`).pluck().safeIntegers(true);
  const bounds: string[] = [];
  for (let i = 1; i < n; i++) {
    const value = at.get(Math.floor((i * count) / n)) as bigint | undefined;
    if (value !== undefined && bounds[bounds.length - 1] !== String(value)) bounds.push(String(value));
  }
  const ranges: ChunkRange[] = [];
  let lower: readonly string[] | null = null;
  for (const bound of bounds) {
    ranges.push({ kind: 'key', columns: [rowid], lower, upper: [bound] });
    lower = [bound];
  }
  ranges.push({ kind: 'key', columns: [rowid], lower, upper: null });
  return { ranges, fingerprint, method: `rowid, ${count} rows` };
}

/** `rowid >= ? AND rowid < ?` for a rowid range; nothing for an unbounded one. */
export function sqliteChunkCondition(range: ChunkRange, stream: string): { sql: string; params: SqliteParameter[] } | undefined {
  if (range.kind !== 'key' || (range.lower === null && range.upper === null)) {
    if (range.kind === 'key') return undefined;
    throw new ConfigError('SQLite reads key (rowid) ranges only, not page ranges', { stream });
  }
  const column = rowidOf(range, stream);
  const parts: string[] = [];
  const params: SqliteParameter[] = [];
  if (range.lower !== null) {
    parts.push(`${column} >= ?`);
    params.push(BigInt(range.lower[0] ?? '0'));
  }
  if (range.upper !== null) {
    parts.push(`${column} < ?`);
    params.push(BigInt(range.upper[0] ?? '0'));
  }
  return { sql: parts.join(' AND '), params };
}

function rowidOf(range: KeyRange, stream: string): string {
  const column = range.columns[0];
  if (range.columns.length !== 1 || column === undefined || !ROWID_NAMES.includes(column)) {
    throw new ConfigError(`SQLite chunk ranges are over the rowid, not (${range.columns.join(', ')})`, { stream });
  }
  return column;
}
