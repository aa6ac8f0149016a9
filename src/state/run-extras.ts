import type { Kysely, Selectable } from 'kysely';
import { DataError } from '../core/errors.js';
import type { HookOutput, RunHookRecord, RunWatermarkRecord } from './run-extras-records.js';
import { counter, jsonText } from './state-rows.js';
import type { RunHooksTable, RunWatermarksTable, StateTables } from './state-tables.js';

/**
 * Watermarks and hooks of a run, over Kysely (SQLite and Postgres alike). Kept
 * out of the main store class so it stays one concept per file.
 */

/** Insert or replace the resolved watermarks of a run (keyed by run, stream scope and name). */
export async function saveRunWatermarks(db: Kysely<StateTables>, records: readonly RunWatermarkRecord[]): Promise<void> {
  for (const record of records) {
    const values = {
      connection: record.connection,
      sql: record.sql,
      value: record.value,
      kind: record.kind,
      origin: record.origin,
      literal: record.literal,
      error: record.error,
      resolved_at: record.resolvedAt,
    };
    await db
      .insertInto('ferry_run_watermarks')
      .values({ run_id: record.runId, scope: record.stream ?? '', name: record.name, ...values })
      .onConflict((oc) => oc.columns(['run_id', 'scope', 'name']).doUpdateSet(values))
      .execute();
  }
}

export async function listRunWatermarks(db: Kysely<StateTables>, runId: string): Promise<RunWatermarkRecord[]> {
  const rows = await db.selectFrom('ferry_run_watermarks').selectAll().where('run_id', '=', runId).orderBy('resolved_at').orderBy('scope').orderBy('name').execute();
  return rows.map(watermarkFromRow);
}

/** Insert or replace one hook's record (keyed by run and `seq`, the hook's place in the run). */
export async function saveRunHook(db: Kysely<StateTables>, record: RunHookRecord): Promise<void> {
  const values = {
    stream: record.stream,
    sql: record.sql,
    run_on: record.runOn,
    status: record.status,
    started_at: record.startedAt,
    finished_at: record.finishedAt,
    rows_affected: record.rowsAffected,
    output: record.output === null ? null : jsonText(record.output),
    error: record.error,
  };
  await db
    .insertInto('ferry_run_hooks')
    .values({ run_id: record.runId, seq: record.seq, ...values })
    .onConflict((oc) => oc.columns(['run_id', 'seq']).doUpdateSet(values))
    .execute();
}

export async function listRunHooks(db: Kysely<StateTables>, runId: string): Promise<RunHookRecord[]> {
  const rows = await db.selectFrom('ferry_run_hooks').selectAll().where('run_id', '=', runId).orderBy('seq').execute();
  return rows.map(hookFromRow);
}

function watermarkFromRow(row: Selectable<RunWatermarksTable>): RunWatermarkRecord {
  return {
    runId: row.run_id,
    stream: row.scope === '' ? null : row.scope,
    name: row.name,
    connection: row.connection,
    sql: row.sql,
    value: row.value,
    kind: row.kind,
    origin: row.origin as RunWatermarkRecord['origin'],
    literal: row.literal,
    error: row.error,
    resolvedAt: row.resolved_at,
  };
}

function hookFromRow(row: Selectable<RunHooksTable>): RunHookRecord {
  return {
    runId: row.run_id,
    seq: counter(row.seq),
    stream: row.stream,
    sql: row.sql,
    runOn: row.run_on as RunHookRecord['runOn'],
    status: row.status as RunHookRecord['status'],
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    rowsAffected: row.rows_affected === null ? null : counter(row.rows_affected),
    output: row.output === null ? null : parseOutput(row.output, `output of hook ${row.seq} of run ${row.run_id}`),
    error: row.error,
  };
}

function parseOutput(text: string, what: string): HookOutput {
  try {
    return JSON.parse(text) as HookOutput;
  } catch (error) {
    throw new DataError(`the state store holds invalid JSON in ${what}`, { cause: error });
  }
}
