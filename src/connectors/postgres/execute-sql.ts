import type pg from 'pg';
import type { Column, Row } from '../../core/schema.js';
import { DEFAULT_MAX_ROWS, type ExecuteOptions, type SqlResult } from '../../core/sql-result.js';
import { decoderFor } from './copy-text.js';
import { driverError } from './driver-error.js';
import { logicalTypeOf } from './type-map.js';

/** Every value arrives as the server's text, decoded below like COPY text: no Date, no float for int8/numeric. */
const TEXT_TYPES = { getTypeParser: () => (text: string) => text };

/**
 * Run one statement on `client` and return its first rows as canonical
 * values. Used for hooks and watermark resolvers, never for data movement.
 */
export async function executeSql(client: pg.ClientBase, sql: string, options: ExecuteOptions = {}): Promise<SqlResult> {
  let result: pg.QueryResult<unknown[]>;
  try {
    result = await client.query<unknown[]>({ text: sql, rowMode: 'array', types: TEXT_TYPES });
  } catch (error) {
    throw driverError(error, 'the statement');
  }
  // A multi-statement string yields one result per statement; the last one is what the user sees.
  const last = (Array.isArray(result) ? result[result.length - 1] : result) as pg.QueryResult<unknown[]>;
  const columns: Column[] = (last.fields ?? []).map((f) => ({
    name: f.name,
    type: logicalTypeOf({ oid: f.dataTypeID, typmod: f.dataTypeModifier, typname: '' }),
    nullable: true,
  }));
  const decoders = columns.map(decoderFor);
  const limit = options.maxRows ?? DEFAULT_MAX_ROWS;
  const rows: Row[] = last.rows.slice(0, limit).map((raw) => raw.map((v, i) => (v === null ? null : (decoders[i] ?? String)(String(v)))));
  const returnsRows = columns.length > 0;
  return { columns, rows, truncated: last.rows.length > limit, rowsAffected: returnsRows ? null : (last.rowCount ?? null) };
}
