import type pg from 'pg';
import { checkpointStateJson, type Checkpoint, type CheckpointState } from '../../core/checkpoint.js';
import { errorCode } from './driver-error.js';
import { quoteTable } from './identifiers.js';

/**
 * `<schema>._ferry_checkpoints`: the checkpoint each stream committed together
 * with its data (same transaction), one row per (sync, stream).
 */
export const CHECKPOINT_TABLE = '_ferry_checkpoints';

function table(schema: string): string {
  return quoteTable({ schema, name: CHECKPOINT_TABLE });
}

export function createCheckpointTableSql(schema: string): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${table(schema)} (sync text NOT NULL, stream text NOT NULL, run_id text NOT NULL, ` +
    'seq bigint NOT NULL, state jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (sync, stream))'
  );
}

export function upsertCheckpointSql(schema: string): string {
  return (
    `INSERT INTO ${table(schema)} (sync, stream, run_id, seq, state, updated_at) VALUES ($1, $2, $3, $4, $5::jsonb, now()) ` +
    'ON CONFLICT (sync, stream) DO UPDATE SET run_id = EXCLUDED.run_id, seq = EXCLUDED.seq, state = EXCLUDED.state, updated_at = EXCLUDED.updated_at'
  );
}

export function checkpointParams(checkpoint: Checkpoint): unknown[] {
  return [checkpoint.sync, checkpoint.stream, checkpoint.runId, checkpoint.seq, checkpointStateJson(checkpoint.state)];
}

interface CheckpointRow {
  readonly run_id: string;
  readonly seq: string;
  readonly state: string;
}

/** SQLSTATEs of a query naming a table or schema that does not exist (yet). */
const MISSING_TABLE = new Set(['42P01', '3F000']);

/**
 * The stored checkpoint, or undefined when there is none (or no table yet). One
 * round trip: the table is read, and its absence (the first run) is the error
 * the server answers. Call outside a transaction, which that error would abort.
 */
export async function readCheckpointRow(client: pg.ClientBase, schema: string, sync: string, stream: string): Promise<Checkpoint | undefined> {
  let result: pg.QueryResult<CheckpointRow>;
  try {
    result = await client.query<CheckpointRow>(
      `SELECT run_id, seq::text AS seq, state::text AS state FROM ${table(schema)} WHERE sync = $1 AND stream = $2`,
      [sync, stream],
    );
  } catch (error) {
    if (MISSING_TABLE.has(errorCode(error) ?? '')) return undefined;
    throw error;
  }
  const row = result.rows[0];
  if (!row) return undefined;
  return { sync, stream, runId: row.run_id, seq: Number(row.seq), state: JSON.parse(row.state) as CheckpointState };
}
