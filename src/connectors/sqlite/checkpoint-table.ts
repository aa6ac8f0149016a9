import type { Checkpoint, CheckpointState } from '../../core/checkpoint.js';
import { checkpointStateJson } from '../../core/checkpoint.js';
import type { SqliteDatabase } from './database.js';

/** Ferry's checkpoints table inside the destination database; written in the data's transaction. */
export const CHECKPOINT_TABLE = '_ferry_checkpoints';

export const CREATE_CHECKPOINT_TABLE = `CREATE TABLE IF NOT EXISTS "${CHECKPOINT_TABLE}" (
  sync TEXT NOT NULL, stream TEXT NOT NULL, run_id TEXT NOT NULL, seq INTEGER NOT NULL,
  state TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (sync, stream))`;

export const UPSERT_CHECKPOINT = `INSERT INTO "${CHECKPOINT_TABLE}" (sync, stream, run_id, seq, state, updated_at) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (sync, stream) DO UPDATE SET run_id = excluded.run_id, seq = excluded.seq, state = excluded.state, updated_at = excluded.updated_at`;

/** Store a checkpoint (the caller holds the transaction). */
export function saveCheckpoint(db: SqliteDatabase, checkpoint: Checkpoint): void {
  db.exec(CREATE_CHECKPOINT_TABLE);
  db.prepare(UPSERT_CHECKPOINT).run(checkpoint.sync, checkpoint.stream, checkpoint.runId, BigInt(checkpoint.seq), checkpointStateJson(checkpoint.state), new Date().toISOString());
}

interface CheckpointRow {
  readonly run_id: string;
  readonly seq: bigint;
  readonly state: string;
}

/** The checkpoint committed with a stream's data, if any. */
export function loadCheckpoint(db: SqliteDatabase, sync: string, stream: string): Checkpoint | undefined {
  const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(CHECKPOINT_TABLE);
  if (!exists) return undefined;
  const row = db.prepare(`SELECT run_id, seq, state FROM "${CHECKPOINT_TABLE}" WHERE sync = ? AND stream = ?`).get(sync, stream) as CheckpointRow | undefined;
  if (!row) return undefined;
  return { sync, stream, runId: row.run_id, seq: Number(row.seq), state: JSON.parse(row.state) as CheckpointState };
}
