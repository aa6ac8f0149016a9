import type { FieldPacket, ResultSetHeader } from 'mysql2/promise';
import type { Column, Row } from '../../core/schema.js';
import { DEFAULT_MAX_ROWS, type ExecuteOptions, type SqlResult } from '../../core/sql-result.js';
import type { MysqlConnection } from './client.js';
import type { MysqlConfig } from './config.js';
import { driverError } from './driver-error.js';
import { fieldInfo } from './query-columns.js';
import { decoderFor, type DecodeContext } from './read-value.js';
import { columnOf, type TypingOptions } from './type-map.js';

type FieldMeta = Parameters<typeof fieldInfo>[0];

/**
 * Run one statement and return its first rows as canonical values, typed and
 * decoded like a read of the same columns (raw bytes, no driver casts).
 */
export async function executeSql(connection: MysqlConnection, sql: string, config: MysqlConfig, typing: TypingOptions, options: ExecuteOptions = {}): Promise<SqlResult> {
  let result: unknown;
  let fields: FieldPacket[] | undefined;
  try {
    [result, fields] = await connection.query({ sql, rowsAsArray: true, typeCast: false });
  } catch (error) {
    throw driverError(error, 'the statement');
  }
  if (!Array.isArray(result)) return { columns: [], rows: [], truncated: false, rowsAffected: (result as ResultSetHeader).affectedRows ?? null };
  const columns: Column[] = (fields ?? []).map((f) => ({ ...columnOf(fieldInfo(f as unknown as FieldMeta), typing), nullable: true }));
  const decoders = columns.map(decoderFor);
  const context: DecodeContext = { stream: 'statement', zeroDates: config.zero_dates, zeroDateCounts: new Map() };
  const limit = options.maxRows ?? DEFAULT_MAX_ROWS;
  const raw = result as (Buffer | null)[][];
  const rows: Row[] = raw.slice(0, limit).map((r) => r.map((cell, i) => (cell === null ? null : (decoders[i] as (typeof decoders)[number])(cell, context))));
  return { columns, rows, truncated: raw.length > limit, rowsAffected: null };
}
