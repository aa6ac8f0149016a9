import type { RowDataPacket } from 'mysql2/promise';
import { checkpointStateJson, type Checkpoint, type CheckpointState } from '../../core/checkpoint.js';
import type { MysqlConnection } from './client.js';
import { quoteTable } from './identifiers.js';

/**
 * `<database>._ferry_checkpoints`: the checkpoint each stream committed
 * together with its data (same transaction for append, truncate and merge;
 * right after the atomic rename for replace), one row per (sync, stream).
 */
export const CHECKPOINT_TABLE = '_ferry_checkpoints';

function table(database: string): string {
  return quoteTable({ schema: database, name: CHECKPOINT_TABLE });
}

export function createCheckpointTableSql(database: string, collation: string): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${table(database)} (sync varchar(255) NOT NULL, stream varchar(255) NOT NULL, run_id varchar(255) NOT NULL, ` +
    'seq bigint NOT NULL, state longtext NOT NULL, updated_at datetime(6) NOT NULL, PRIMARY KEY (sync, stream)) ' +
    `ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=${collation}`
  );
}

export function upsertCheckpointSql(database: string): string {
  return (
    `INSERT INTO ${table(database)} (sync, stream, run_id, seq, state, updated_at) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6)) ` +
    'ON DUPLICATE KEY UPDATE run_id = VALUES(run_id), seq = VALUES(seq), state = VALUES(state), updated_at = VALUES(updated_at)'
  );
}

export function checkpointParams(checkpoint: Checkpoint): unknown[] {
  return [checkpoint.sync, checkpoint.stream, checkpoint.runId, checkpoint.seq, checkpointStateJson(checkpoint.state)];
}

/** The stored checkpoint, or undefined when there is none (or no table yet). */
export async function readCheckpointRow(connection: MysqlConnection, database: string, sync: string, stream: string): Promise<Checkpoint | undefined> {
  const [exists] = await connection.query<RowDataPacket[]>(
    'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [database, CHECKPOINT_TABLE],
  );
  if (exists.length === 0) return undefined;
  const [rows] = await connection.query<RowDataPacket[]>(
    `SELECT run_id, CAST(seq AS CHAR) AS seq, state FROM ${table(database)} WHERE sync = ? AND stream = ?`,
    [sync, stream],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { sync, stream, runId: String(row['run_id']), seq: Number(row['seq']), state: JSON.parse(String(row['state'])) as CheckpointState };
}
