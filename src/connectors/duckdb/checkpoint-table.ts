import type { DuckDBConnection } from '@duckdb/node-api';
import type { Checkpoint, CheckpointState } from '../../core/checkpoint.js';
import { checkpointStateJson } from '../../core/checkpoint.js';
import { quoteIdentifier } from './sql-identifier.js';

/** Ferry's checkpoints table in the configured schema; written in the data's transaction. */
export function checkpointTable(schema: string): string {
  return `${quoteIdentifier(schema)}."_ferry_checkpoints"`;
}

export function createCheckpointTableSql(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS ${checkpointTable(schema)} (sync VARCHAR NOT NULL, stream VARCHAR NOT NULL, run_id VARCHAR NOT NULL, seq BIGINT NOT NULL, state VARCHAR NOT NULL, updated_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (sync, stream))`;
}

/** Upsert a checkpoint (the caller holds the transaction). */
export async function saveCheckpoint(conn: DuckDBConnection, schema: string, checkpoint: Checkpoint): Promise<string> {
  const sql = `INSERT INTO ${checkpointTable(schema)} VALUES ($1, $2, $3, $4, $5, now()) ON CONFLICT (sync, stream) DO UPDATE SET run_id = excluded.run_id, seq = excluded.seq, state = excluded.state, updated_at = excluded.updated_at`;
  await conn.run(sql, [checkpoint.sync, checkpoint.stream, checkpoint.runId, BigInt(checkpoint.seq), checkpointStateJson(checkpoint.state)]);
  return sql;
}

/** The checkpoint committed with a stream's data, if any. */
export async function loadCheckpoint(conn: DuckDBConnection, schema: string, sync: string, stream: string): Promise<Checkpoint | undefined> {
  const exists = await conn.runAndReadAll(`SELECT 1 FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = $1 AND table_name = '_ferry_checkpoints'`, [schema]);
  if (exists.currentRowCount === 0) return undefined;
  const reader = await conn.runAndReadAll(`SELECT run_id, seq, state FROM ${checkpointTable(schema)} WHERE sync = $1 AND stream = $2`, [sync, stream]);
  const row = reader.getRows()[0] as [string, bigint, string] | undefined;
  if (!row) return undefined;
  return { sync, stream, runId: row[0], seq: Number(row[1]), state: JSON.parse(row[2]) as CheckpointState };
}
