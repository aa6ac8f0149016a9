import type { ColumnType } from 'kysely';

/**
 * Row shapes of the state store's tables, as Kysely sees them. Times are ISO
 * 8601 UTC text with milliseconds (sortable as text); JSON is text. Counters
 * are `bigint` columns: Postgres returns them as strings, SQLite as numbers,
 * so reads are typed `number | string` and converted by `state-rows.ts`.
 */

/** A bigint column: written as a number, read as number (SQLite) or string (pg). */
export type Counter = ColumnType<number | string, number, number>;

export interface RunsTable {
  readonly id: string;
  readonly sync: string;
  readonly status: string;
  readonly started_at: string;
  readonly finished_at: string | null;
  readonly options: string;
  readonly error: string | null;
  readonly rows_read: Counter;
  readonly rows_written: Counter;
  readonly bytes_read: Counter;
}

export interface RunStreamsTable {
  readonly run_id: string;
  readonly stream: string;
  readonly status: string;
  readonly mode: string;
  readonly write: string;
  readonly target: string;
  readonly started_at: string;
  readonly finished_at: string | null;
  readonly rows_read: Counter;
  readonly rows_written: Counter;
  readonly bytes_read: Counter;
  readonly sql: string;
  readonly checkpoint_before: string | null;
  readonly checkpoint_after: string | null;
  readonly error: string | null;
  /** ContractReport as JSON (migration 3); NULL when the contract changed nothing. */
  readonly contract: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface RunLogsTable {
  readonly run_id: string;
  readonly seq: Counter;
  readonly at: string;
  readonly level: string;
  readonly stream: string | null;
  readonly message: string;
  readonly fields: string | null;
}

export interface CheckpointsTable {
  readonly sync: string;
  readonly stream: string;
  readonly run_id: string;
  readonly seq: Counter;
  readonly state: string;
  readonly updated_at: string;
}

export interface LocksTable {
  readonly sync: string;
  readonly run_id: string;
  readonly owner: string;
  readonly acquired_at: string;
  readonly heartbeat_at: string;
}

export interface RunWatermarksTable {
  readonly run_id: string;
  /** Stream name, or '' for a sync watermark (part of the key, so not NULL). */
  readonly scope: string;
  readonly name: string;
  readonly connection: string;
  readonly sql: string;
  readonly value: string | null;
  readonly kind: string;
  readonly origin: string;
  readonly literal: string;
  readonly error: string | null;
  readonly resolved_at: string;
}

export interface RunHooksTable {
  readonly run_id: string;
  readonly seq: Counter;
  readonly stream: string | null;
  readonly sql: string;
  readonly run_on: string;
  readonly status: string;
  readonly started_at: string;
  readonly finished_at: string | null;
  readonly rows_affected: ColumnType<number | string | null, number | null, number | null>;
  readonly output: string | null;
  readonly error: string | null;
}

/** Pauses of cdc syncs and streams (migration 5); `scope` '' is the whole sync. */
export interface PausesTable {
  readonly sync: string;
  readonly scope: string;
  readonly paused_at: string;
  readonly paused_by: string;
  readonly reason: string | null;
}

/** Operator actions (migration 2 created it; used since migration 5). */
export interface AuditLogTable {
  readonly id: ColumnType<number | string, never, never>;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly target: string | null;
  /** JSON object. */
  readonly details: string | null;
}

export interface MigrationsTable {
  readonly version: number;
  readonly name: string;
  readonly applied_at: string;
}

/** The tables the store reads and writes (reserved tables are created by migrations only). */
export interface StateTables {
  readonly ferry_runs: RunsTable;
  readonly ferry_run_streams: RunStreamsTable;
  readonly ferry_run_logs: RunLogsTable;
  readonly ferry_checkpoints: CheckpointsTable;
  readonly ferry_locks: LocksTable;
  readonly ferry_migrations: MigrationsTable;
  readonly ferry_run_watermarks: RunWatermarksTable;
  readonly ferry_run_hooks: RunHooksTable;
  readonly ferry_pauses: PausesTable;
  readonly ferry_audit_log: AuditLogTable;
}
