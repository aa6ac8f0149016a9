import { randomBytes } from 'node:crypto';
import type { LogLine, RunStreamRecord, StateStore } from './state-store.js';

/** How the conformance suite reaches the store under test. */
export interface StateStoreHarness {
  /** A new store (its own connection) on the file's shared database. */
  open(): Promise<StateStore>;
  /** Whether two stores' transactions really run at once (Postgres), not just interleave (better-sqlite3). */
  readonly parallelConnections: boolean;
}

/** ISO 8601 UTC with milliseconds, as the store writes times. */
export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** A counter beyond 32-bit integers. */
export const BIG = 2 ** 31 + 12_345;

/** A fresh name, so tests sharing one database stay apart. */
export const unique = (prefix: string): string => `${prefix}_${randomBytes(4).toString('hex')}`;
export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** An info log line of a run. */
export function line(runId: string, stream: string | null, message: string): Omit<LogLine, 'seq'> {
  return { runId, at: new Date().toISOString(), level: 'info', stream, message, fields: null };
}

/** A run stream record with defaults. */
export function streamRecord(runId: string, stream: string, patch: Partial<RunStreamRecord> = {}): RunStreamRecord {
  return {
    runId,
    stream,
    status: 'running',
    mode: 'incremental',
    write: 'merge',
    target: `analytics.${stream}`,
    startedAt: '2026-01-02T03:04:05.678Z',
    finishedAt: null,
    rowsRead: 0,
    rowsWritten: 0,
    bytesRead: 0,
    sql: [],
    checkpointBefore: null,
    checkpointAfter: null,
    error: null,
    ...patch,
  };
}
