import type { Selectable } from 'kysely';
import type { Checkpoint, CheckpointState } from '../core/checkpoint.js';
import type { ContractReport } from '../core/schema-contract.js';
import { DataError } from '../core/errors.js';
import { LOG_LEVELS, RUN_STATUSES, type LockInfo, type LogLevel, type LogLine, type RunRecord, type RunStatus, type RunStreamRecord } from './state-store.js';
import type { CheckpointsTable, LocksTable, RunLogsTable, RunStreamsTable, RunsTable } from './state-tables.js';

/**
 * Conversions between table rows and the records of the StateStore contract:
 * JSON text is parsed, bigint counters become numbers, closed sets are checked.
 */

/** JSON text of a value; bigints (e.g. from log fields) become decimal strings instead of throwing. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** A bigint column as a JS number (exact up to 2^53). */
export function counter(value: number | string | bigint): number {
  return typeof value === 'number' ? value : Number(value);
}

export function runFromRow(row: Selectable<RunsTable>): RunRecord {
  return {
    id: row.id,
    sync: row.sync,
    status: runStatus(row.status),
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    options: parseObject(row.options, `options of run ${row.id}`),
    error: row.error,
    rowsRead: counter(row.rows_read),
    rowsWritten: counter(row.rows_written),
    bytesRead: counter(row.bytes_read),
  };
}

export function runStreamFromRow(row: Selectable<RunStreamsTable>): RunStreamRecord {
  const where = `stream ${row.stream} of run ${row.run_id}`;
  return {
    runId: row.run_id,
    stream: row.stream,
    status: runStatus(row.status),
    mode: row.mode,
    write: row.write,
    target: row.target,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    rowsRead: counter(row.rows_read),
    rowsWritten: counter(row.rows_written),
    bytesRead: counter(row.bytes_read),
    sql: parseStrings(row.sql, `sql of ${where}`),
    checkpointBefore: row.checkpoint_before === null ? null : parseCheckpointState(row.checkpoint_before, `checkpoint_before of ${where}`),
    checkpointAfter: row.checkpoint_after === null ? null : parseCheckpointState(row.checkpoint_after, `checkpoint_after of ${where}`),
    error: row.error,
    ...(row.contract === null ? {} : { contract: parseObject(row.contract, `contract of ${where}`) as unknown as ContractReport }),
  };
}

export function logLineFromRow(row: Selectable<RunLogsTable>): LogLine {
  return {
    runId: row.run_id,
    seq: counter(row.seq),
    at: row.at,
    level: logLevel(row.level),
    stream: row.stream,
    message: row.message,
    fields: row.fields === null ? null : parseObject(row.fields, `fields of log line ${row.seq} of run ${row.run_id}`),
  };
}

export function checkpointFromRow(row: Selectable<CheckpointsTable>): Checkpoint {
  return {
    sync: row.sync,
    stream: row.stream,
    runId: row.run_id,
    seq: counter(row.seq),
    state: parseCheckpointState(row.state, `checkpoint of ${row.sync} ${row.stream}`),
  };
}

export function lockFromRow(row: Selectable<LocksTable>): LockInfo {
  return { sync: row.sync, runId: row.run_id, owner: row.owner, acquiredAt: row.acquired_at, heartbeatAt: row.heartbeat_at };
}

function runStatus(value: string): RunStatus {
  const status = RUN_STATUSES.find((s) => s === value);
  if (status === undefined) throw corrupt(`unknown run status "${value}"`);
  return status;
}

function logLevel(value: string): LogLevel {
  const level = LOG_LEVELS.find((l) => l === value);
  if (level === undefined) throw corrupt(`unknown log level "${value}"`);
  return level;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw corrupt(`${what} is not valid JSON`, cause);
  }
}

function parseObject(text: string, what: string): Record<string, unknown> {
  const value = parseJson(text, what);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw corrupt(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

// The state store wrote this text itself from a CheckpointState, so an object is all we check.
function parseCheckpointState(text: string, what: string): CheckpointState {
  return parseObject(text, what) as CheckpointState;
}

function parseStrings(text: string, what: string): string[] {
  const value = parseJson(text, what);
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) throw corrupt(`${what} is not a JSON array of strings`);
  return value;
}

function corrupt(message: string, cause?: unknown): DataError {
  return new DataError(`state store: ${message}`, {
    hint: 'the state database was edited by hand or by a newer Ferry; inspect it, or restore .ferry/state.db from a backup',
    ...(cause === undefined ? {} : { cause }),
  });
}
