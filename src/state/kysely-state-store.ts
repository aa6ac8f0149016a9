import type { Kysely } from 'kysely';
import type { Checkpoint } from '../core/checkpoint.js';
import { FerryError } from '../core/errors.js';
import { KeyedQueue } from './keyed-queue.js';
import { migrateState } from './migrations.js';
import { listRunHooks, listRunWatermarks, saveRunHook, saveRunWatermarks } from './run-extras.js';
import type { StateDialect } from './state-dialect.js';
import { checkpointFromRow, jsonText, lockFromRow, logLineFromRow, runFromRow, runStreamFromRow } from './state-rows.js';
import type { ListRunsOptions, LockInfo, LogLine, NewRun, RunFinish, RunHookRecord, RunRecord, RunStreamRecord, RunWatermarkRecord, StateStore } from './state-store.js';
import type { StateTables } from './state-tables.js';
import { appendAudit, deletePauses, listAudit, listPauses, savePause } from './sync-controls.js';
import type { AuditEntry, ListAuditOptions, NewAuditEntry, NewPause, PauseRecord } from './sync-controls-records.js';
import { inWriteTransaction } from './write-transaction.js';

const DEFAULT_RUN_LIMIT = 20;
/** Rows per INSERT of log lines: 7 parameters each stays far below SQLite's and Postgres' limits. */
const LOG_CHUNK = 500;

/**
 * The StateStore over Kysely, one class for SQLite and Postgres; what differs
 * is in `StateDialect`. Times come from the database clock, so lock staleness
 * is judged by one clock even when runs start on several machines.
 *
 * @example
 * const store = new KyselyStateStore(db, SQLITE_STATE_DIALECT);
 * await store.migrate();
 */
export class KyselyStateStore implements StateStore {
  readonly #db: Kysely<StateTables>;
  readonly #dialect: StateDialect;
  readonly #logQueue = new KeyedQueue();

  constructor(db: Kysely<StateTables>, dialect: StateDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  /** Which database this store runs on. */
  get dialect(): StateDialect['name'] {
    return this.#dialect.name;
  }

  async migrate(): Promise<void> {
    await migrateState(this.#db, this.#dialect);
  }

  async createRun(run: NewRun): Promise<RunRecord> {
    const row = await this.#db
      .insertInto('ferry_runs')
      .values({
        id: run.id,
        sync: run.sync,
        status: run.status,
        started_at: this.#dialect.now(),
        options: jsonText(run.options),
        rows_read: 0,
        rows_written: 0,
        bytes_read: 0,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return runFromRow(row);
  }

  async finishRun(runId: string, finish: RunFinish): Promise<void> {
    const result = await this.#db
      .updateTable('ferry_runs')
      .set({
        status: finish.status,
        error: finish.error,
        rows_read: finish.rowsRead,
        rows_written: finish.rowsWritten,
        bytes_read: finish.bytesRead,
        finished_at: this.#dialect.now(),
      })
      .where('id', '=', runId)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) {
      throw new FerryError(`cannot finish run ${runId}: the state store has no such run`, { hint: 'createRun must be called before finishRun' });
    }
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const row = await this.#db.selectFrom('ferry_runs').selectAll().where('id', '=', runId).executeTakeFirst();
    return row && runFromRow(row);
  }

  async listRuns(options: ListRunsOptions = {}): Promise<RunRecord[]> {
    let query = this.#db.selectFrom('ferry_runs').selectAll();
    if (options.sync !== undefined) query = query.where('sync', '=', options.sync);
    const rows = await query
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit ?? DEFAULT_RUN_LIMIT)
      .execute();
    return rows.map(runFromRow);
  }

  async saveRunStream(record: RunStreamRecord): Promise<void> {
    const values = {
      status: record.status,
      mode: record.mode,
      write: record.write,
      target: record.target,
      started_at: record.startedAt,
      finished_at: record.finishedAt,
      rows_read: record.rowsRead,
      rows_written: record.rowsWritten,
      bytes_read: record.bytesRead,
      sql: jsonText(record.sql),
      checkpoint_before: record.checkpointBefore === null ? null : jsonText(record.checkpointBefore),
      checkpoint_after: record.checkpointAfter === null ? null : jsonText(record.checkpointAfter),
      error: record.error,
      contract: record.contract === undefined ? null : jsonText(record.contract),
    };
    await this.#db
      .insertInto('ferry_run_streams')
      .values({ run_id: record.runId, stream: record.stream, ...values })
      .onConflict((oc) => oc.columns(['run_id', 'stream']).doUpdateSet(values))
      .execute();
  }

  async listRunStreams(runId: string): Promise<RunStreamRecord[]> {
    const rows = await this.#db
      .selectFrom('ferry_run_streams')
      .selectAll()
      .where('run_id', '=', runId)
      .orderBy('started_at')
      .orderBy('stream')
      .execute();
    return rows.map(runStreamFromRow);
  }

  saveRunWatermarks(records: readonly RunWatermarkRecord[]): Promise<void> {
    return saveRunWatermarks(this.#db, records);
  }

  listRunWatermarks(runId: string): Promise<RunWatermarkRecord[]> {
    return listRunWatermarks(this.#db, runId);
  }

  saveRunHook(record: RunHookRecord): Promise<void> {
    return saveRunHook(this.#db, record);
  }

  listRunHooks(runId: string): Promise<RunHookRecord[]> {
    return listRunHooks(this.#db, runId);
  }

  async appendLog(lines: readonly Omit<LogLine, 'seq'>[]): Promise<void> {
    const byRun = new Map<string, Omit<LogLine, 'seq'>[]>();
    for (const line of lines) {
      const group = byRun.get(line.runId);
      if (group) group.push(line);
      else byRun.set(line.runId, [line]);
    }
    await Promise.all([...byRun].map(([runId, runLines]) => this.#logQueue.run(runId, () => this.#appendRunLog(runId, runLines))));
  }

  // Numbers lines after the run's highest seq. In-process callers are queued per run;
  // other processes are kept out by the write transaction (SQLite lock / advisory lock on the run).
  async #appendRunLog(runId: string, lines: readonly Omit<LogLine, 'seq'>[]): Promise<void> {
    await inWriteTransaction(this.#db, this.#dialect, `ferry_run_logs:${runId}`, async (tx) => {
      const top = await tx
        .selectFrom('ferry_run_logs')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .where('run_id', '=', runId)
        .executeTakeFirst();
      const base = Number(top?.seq ?? 0);
      for (let start = 0; start < lines.length; start += LOG_CHUNK) {
        const rows = lines.slice(start, start + LOG_CHUNK).map((line, i) => ({
          run_id: runId,
          seq: base + start + i + 1,
          at: line.at,
          level: line.level,
          stream: line.stream,
          message: line.message,
          fields: line.fields === null ? null : jsonText(line.fields),
        }));
        await tx.insertInto('ferry_run_logs').values(rows).execute();
      }
    });
  }

  async readLog(runId: string, afterSeq = 0): Promise<LogLine[]> {
    const rows = await this.#db
      .selectFrom('ferry_run_logs')
      .selectAll()
      .where('run_id', '=', runId)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .execute();
    return rows.map(logLineFromRow);
  }

  async getCheckpoint(sync: string, stream: string): Promise<Checkpoint | undefined> {
    const row = await this.#db
      .selectFrom('ferry_checkpoints')
      .selectAll()
      .where('sync', '=', sync)
      .where('stream', '=', stream)
      .executeTakeFirst();
    return row && checkpointFromRow(row);
  }

  async listCheckpoints(sync: string): Promise<Checkpoint[]> {
    const rows = await this.#db.selectFrom('ferry_checkpoints').selectAll().where('sync', '=', sync).orderBy('stream').execute();
    return rows.map(checkpointFromRow);
  }

  // One statement: the seq comparison and the write cannot be separated by another writer.
  async saveCheckpoint(checkpoint: Checkpoint): Promise<void> {
    await this.#db
      .insertInto('ferry_checkpoints')
      .values({
        sync: checkpoint.sync,
        stream: checkpoint.stream,
        run_id: checkpoint.runId,
        seq: checkpoint.seq,
        state: jsonText(checkpoint.state),
        updated_at: this.#dialect.now(),
      })
      .onConflict((oc) =>
        oc
          .columns(['sync', 'stream'])
          .doUpdateSet((eb) => ({
            run_id: eb.ref('excluded.run_id'),
            seq: eb.ref('excluded.seq'),
            state: eb.ref('excluded.state'),
            updated_at: eb.ref('excluded.updated_at'),
          }))
          .where('ferry_checkpoints.seq', '<=', (eb) => eb.ref('excluded.seq')),
      )
      .execute();
  }

  listPauses(sync: string): Promise<PauseRecord[]> {
    return listPauses(this.#db, sync);
  }

  savePause(pause: NewPause): Promise<boolean> {
    return savePause(this.#db, this.#dialect, pause);
  }

  deletePauses(sync: string, streams?: readonly (string | null)[]): Promise<PauseRecord[]> {
    return deletePauses(this.#db, sync, streams);
  }

  appendAudit(entry: NewAuditEntry): Promise<void> {
    return appendAudit(this.#db, this.#dialect, entry);
  }

  listAudit(options?: ListAuditOptions): Promise<AuditEntry[]> {
    return listAudit(this.#db, options);
  }

  // One upsert: insert when free, take over only a stale lock (or our own). The
  // database row lock makes the WHERE see the winner's heartbeat, so two
  // acquirers never both get a row counted.
  async acquireLock(sync: string, runId: string, owner: string, staleAfterMs: number): Promise<boolean> {
    const now = this.#dialect.now();
    const result = await this.#db
      .insertInto('ferry_locks')
      .values({ sync, run_id: runId, owner, acquired_at: now, heartbeat_at: now })
      .onConflict((oc) =>
        oc
          .column('sync')
          .doUpdateSet((eb) => ({
            run_id: eb.ref('excluded.run_id'),
            owner: eb.ref('excluded.owner'),
            acquired_at: eb.ref('excluded.acquired_at'),
            heartbeat_at: eb.ref('excluded.heartbeat_at'),
          }))
          .where((eb) =>
            eb.or([eb('ferry_locks.heartbeat_at', '<', this.#dialect.ago(staleAfterMs)), eb('ferry_locks.run_id', '=', runId)]),
          ),
      )
      .executeTakeFirst();
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  async takeOverLock(sync: string, deadRunId: string, runId: string, owner: string): Promise<boolean> {
    const now = this.#dialect.now();
    const result = await this.#db
      .updateTable('ferry_locks')
      .set({ run_id: runId, owner, acquired_at: now, heartbeat_at: now })
      .where('sync', '=', sync)
      .where('run_id', '=', deadRunId)
      .executeTakeFirst();
    return (result.numUpdatedRows ?? 0n) > 0n;
  }

  async heartbeat(sync: string, runId: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('ferry_locks')
      .set({ heartbeat_at: this.#dialect.now() })
      .where('sync', '=', sync)
      .where('run_id', '=', runId)
      .executeTakeFirst();
    return (result.numUpdatedRows ?? 0n) > 0n;
  }

  async releaseLock(sync: string, runId: string): Promise<void> {
    await this.#db.deleteFrom('ferry_locks').where('sync', '=', sync).where('run_id', '=', runId).execute();
  }

  async getLock(sync: string): Promise<LockInfo | undefined> {
    const row = await this.#db.selectFrom('ferry_locks').selectAll().where('sync', '=', sync).executeTakeFirst();
    return row && lockFromRow(row);
  }

  // Streams left `running` by the dead runs are failed with them, so history never shows them as live.
  async failOrphanedRuns(sync: string, reason: string): Promise<number> {
    return inWriteTransaction(this.#db, this.#dialect, `ferry_locks:${sync}`, async (tx) => {
      const orphans = tx
        .selectFrom('ferry_runs')
        .select('id')
        .where('sync', '=', sync)
        .where('status', '=', 'running')
        .where((eb) => eb.not(eb.exists(eb.selectFrom('ferry_locks').select('sync').where('ferry_locks.sync', '=', sync).whereRef('ferry_locks.run_id', '=', 'ferry_runs.id'))));
      await tx
        .updateTable('ferry_run_streams')
        .set({ status: 'failed', error: reason, finished_at: this.#dialect.now() })
        .where('status', '=', 'running')
        .where('run_id', 'in', orphans)
        .execute();
      const result = await tx
        .updateTable('ferry_runs')
        .set({ status: 'failed', error: reason, finished_at: this.#dialect.now() })
        .where('id', 'in', orphans)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    });
  }

  async close(): Promise<void> {
    await this.#db.destroy();
  }
}
