import type { ContractReport } from '../core/schema-contract.js';
import type { Checkpoint, CheckpointState } from '../core/checkpoint.js';
import type { RunHookRecord, RunWatermarkRecord } from './run-extras-records.js';
import type { AuditEntry, ListAuditOptions, NewAuditEntry, NewPause, PauseRecord } from './sync-controls-records.js';

export type { AuditEntry, ListAuditOptions, NewAuditEntry, NewPause, PauseRecord } from './sync-controls-records.js';
export type { HookOutput, HookStatus, RunHookRecord, RunWatermarkRecord, WatermarkOrigin } from './run-extras-records.js';

/**
 * Everything Ferry remembers between runs. Implemented over Kysely for SQLite
 * (default, `.ferry/state.db`) and Postgres. Connectors never see it; the
 * engine owns state.
 */

/** `paused`: a stream skipped (or stopped) because `ferry cdc pause` paused it or its sync. */
export const RUN_STATUSES = ['running', 'success', 'failed', 'cancelled', 'dry_run', 'paused'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface RunRecord {
  readonly id: string;
  readonly sync: string;
  readonly status: RunStatus;
  /** ISO 8601 UTC. */
  readonly startedAt: string;
  readonly finishedAt: string | null;
  /** Options the run was started with (flags), as JSON. */
  readonly options: Readonly<Record<string, unknown>>;
  readonly error: string | null;
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly bytesRead: number;
}

export interface RunStreamRecord {
  readonly runId: string;
  readonly stream: string;
  readonly status: RunStatus;
  readonly mode: string;
  readonly write: string;
  readonly target: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly bytesRead: number;
  /** Statements run against source and destination. */
  readonly sql: readonly string[];
  readonly checkpointBefore: CheckpointState | null;
  readonly checkpointAfter: CheckpointState | null;
  readonly error: string | null;
  /** What the stream's schema contract discarded and widened; absent when it changed nothing. */
  readonly contract?: ContractReport;
}

export interface LogLine {
  readonly runId: string;
  readonly seq: number;
  readonly at: string;
  readonly level: LogLevel;
  readonly stream: string | null;
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>> | null;
}

export interface NewRun {
  readonly id: string;
  readonly sync: string;
  readonly status: RunStatus;
  readonly options: Readonly<Record<string, unknown>>;
}

export interface RunFinish {
  readonly status: RunStatus;
  readonly error: string | null;
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly bytesRead: number;
}

export interface ListRunsOptions {
  readonly sync?: string;
  readonly limit?: number;
}

export interface LockInfo {
  readonly sync: string;
  readonly runId: string;
  readonly owner: string;
  readonly acquiredAt: string;
  readonly heartbeatAt: string;
}

export interface StateStore {
  /** Create or upgrade tables. Idempotent; safe to call from several processes. */
  migrate(): Promise<void>;

  createRun(run: NewRun): Promise<RunRecord>;
  finishRun(runId: string, finish: RunFinish): Promise<void>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  /** Newest first. */
  listRuns(options?: ListRunsOptions): Promise<RunRecord[]>;

  /** Insert or replace the record of one stream in a run (keyed by runId + stream). */
  saveRunStream(record: RunStreamRecord): Promise<void>;
  listRunStreams(runId: string): Promise<RunStreamRecord[]>;

  /** Record the watermarks a run resolved (insert or replace by run, stream and name). */
  saveRunWatermarks(records: readonly RunWatermarkRecord[]): Promise<void>;
  listRunWatermarks(runId: string): Promise<RunWatermarkRecord[]>;
  /** Record one hook of a run (insert or replace by run and seq). */
  saveRunHook(record: RunHookRecord): Promise<void>;
  /** In `seq` order. */
  listRunHooks(runId: string): Promise<RunHookRecord[]>;

  appendLog(lines: readonly Omit<LogLine, 'seq'>[]): Promise<void>;
  /** Lines in order; `afterSeq` for tailing. */
  readLog(runId: string, afterSeq?: number): Promise<LogLine[]>;

  getCheckpoint(sync: string, stream: string): Promise<Checkpoint | undefined>;
  listCheckpoints(sync: string): Promise<Checkpoint[]>;
  /** Upsert; a checkpoint with a lower `seq` than the stored one is ignored. */
  saveCheckpoint(checkpoint: Checkpoint): Promise<void>;

  /** Pauses of a sync: its own (`stream` null) and its streams'. */
  listPauses(sync: string): Promise<PauseRecord[]>;
  /** Record a pause; an existing one is kept as it is. True when it was not paused before. */
  savePause(pause: NewPause): Promise<boolean>;
  /** Remove pauses (`streams` undefined: every pause of the sync; null in it: the sync's own). Returns what was removed. */
  deletePauses(sync: string, streams?: readonly (string | null)[]): Promise<PauseRecord[]>;

  /** Record an operator action in the audit log. */
  appendAudit(entry: NewAuditEntry): Promise<void>;
  /** Newest first. */
  listAudit(options?: ListAuditOptions): Promise<AuditEntry[]>;

  /**
   * Take the sync's lock. A lock whose heartbeat is older than `staleAfterMs`
   * is taken over (its holder died). Returns false when a live run holds it.
   */
  acquireLock(sync: string, runId: string, owner: string, staleAfterMs: number): Promise<boolean>;
  /**
   * Take the lock from a holder known to be dead (its process is gone), only if
   * `deadRunId` still holds it. Returns false when someone else got there first.
   */
  takeOverLock(sync: string, deadRunId: string, runId: string, owner: string): Promise<boolean>;
  /** Refresh the holder's heartbeat. False when `runId` no longer holds the lock (it was taken over). */
  heartbeat(sync: string, runId: string): Promise<boolean>;
  releaseLock(sync: string, runId: string): Promise<void>;
  getLock(sync: string): Promise<LockInfo | undefined>;
  /**
   * Mark runs left `running` by a dead process (no live lock) as failed.
   * Returns how many were marked.
   */
  failOrphanedRuns(sync: string, reason: string): Promise<number>;

  close(): Promise<void>;
}
