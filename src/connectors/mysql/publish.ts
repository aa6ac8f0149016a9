import type { RowDataPacket } from 'mysql2/promise';
import type { Checkpoint } from '../../core/checkpoint.js';
import type { CommitResult } from '../../core/connector.js';
import { DataError, type FerryError } from '../../core/errors.js';
import { checkpointParams, upsertCheckpointSql } from './checkpoint-table.js';
import { driverError, errorNumber } from './driver-error.js';
import {
  addColumnSql,
  countSql,
  createTableSql,
  deleteAllSql,
  distinctKeysSql,
  dropTableSql,
  insertSql,
  mergeByDeleteSql,
  mergeSql,
  swapTablesSql,
  uniqueIndexSql,
} from './publish-sql.js';
import { oldName } from './staging.js';
import { hasUniqueKey } from './target-catalog.js';
import type { WriterSetup } from './writer-setup.js';

/** MySQL's duplicate-entry error. */
const ER_DUP_ENTRY = 1062;

/** Runs statements on the writer's connection and records them for the run record. */
class Statements {
  readonly sql: string[] = [];
  readonly #setup: WriterSetup;

  constructor(setup: WriterSetup) {
    this.#setup = setup;
  }

  async run(sql: string, params?: unknown[]): Promise<number> {
    this.sql.push(sql);
    const [result] = await this.#setup.connection.query(sql, params);
    return (result as { affectedRows?: number }).affectedRows ?? 0;
  }

  async count(sql: string): Promise<number> {
    this.sql.push(sql);
    const [rows] = await this.#setup.connection.query<RowDataPacket[]>(sql);
    return Number(rows[0]?.['n'] ?? -1);
  }
}

function label(setup: WriterSetup): string {
  return `${setup.target.schema}.${setup.target.name}`;
}

/** Create a missing target, or add the columns it lacks (`evolve`). DDL: each statement commits on its own. */
async function shapeTarget(setup: WriterSetup, run: Statements, withKey: boolean): Promise<void> {
  const { request, target, flavor } = setup;
  if (!setup.existing) {
    const key = withKey ? { primaryKey: request.primaryKey } : {};
    await run.run(createTableSql(target, { columns: request.columns, ddls: setup.ddls, notNull: true, collation: flavor.collation, ...key }));
    return;
  }
  for (const column of setup.missing) {
    const ddl = setup.ddls[request.columns.indexOf(column)];
    if (ddl) await run.run(addColumnSql(target, column, ddl));
  }
}

const UNINDEXABLE = /^(tiny|medium|long)?(text|blob)\b|^json\b/i;

/**
 * Make sure ON DUPLICATE KEY UPDATE has the key to detect. False when the key
 * columns are TEXT/BLOB (no unique index possible): merge by delete + insert.
 */
async function ensureMergeKey(setup: WriterSetup, run: Statements): Promise<boolean> {
  const { request, existing } = setup;
  if (!existing || hasUniqueKey(existing, request.primaryKey)) return true;
  if (request.primaryKey.some((k) => UNINDEXABLE.test(existing.types.get(k) ?? ''))) return false;
  try {
    await run.run(uniqueIndexSql(setup.target, request.primaryKey));
  } catch (error) {
    if (errorNumber(error) !== ER_DUP_ENTRY) throw error;
    throw new DataError(`target ${label(setup)} has duplicate values of (${request.primaryKey.join(', ')}), so it cannot be merged on that key`, {
      stream: request.stream,
      hint: 'remove the duplicates from the target, or use write: append/replace',
      cause: error,
    });
  }
  return true;
}

/** Statements that change rows, then the checkpoint, in ONE transaction. */
async function inTransaction(setup: WriterSetup, run: Statements, checkpoint: Checkpoint | undefined, body: () => Promise<number>): Promise<number> {
  await run.run('START TRANSACTION');
  try {
    const rows = await body();
    if (checkpoint) await run.run(upsertCheckpointSql(setup.checkpointDatabase), checkpointParams(checkpoint));
    await run.run('COMMIT');
    return rows;
  } catch (error) {
    await setup.connection.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Replace: one atomic RENAME swaps staging in (and the old table aside), then
 * the checkpoint commits. RENAME is DDL and commits on its own, so the
 * checkpoint can only be behind the data, never ahead: a crash between the two
 * makes the next run replace again.
 */
async function publishReplace(setup: WriterSetup, run: Statements, staged: number, checkpoint: Checkpoint | undefined): Promise<number> {
  const { target, staging } = setup;
  const old = setup.existing ? { schema: target.schema, name: oldName(staging.name) } : undefined;
  await run.run(swapTablesSql(target, staging, old));
  if (old) await run.run(dropTableSql(old)).catch(() => undefined);
  await inTransaction(setup, run, checkpoint, async () => 0);
  return staged;
}

async function publishRows(setup: WriterSetup, run: Statements, staged: number, checkpoint: Checkpoint | undefined): Promise<number> {
  const { request, target, staging } = setup;
  const names = request.columns.map((c) => c.name);
  switch (request.write) {
    case 'replace':
      return publishReplace(setup, run, staged, checkpoint);
    case 'merge': {
      await shapeTarget(setup, run, true);
      const keyed = await ensureMergeKey(setup, run);
      const keys = await run.count(distinctKeysSql(staging, request.primaryKey));
      const shape = { names, primaryKey: request.primaryKey, ...(request.cursorColumn !== undefined ? { cursorColumn: request.cursorColumn } : {}) };
      return inTransaction(setup, run, checkpoint, async () => {
        for (const sql of keyed ? [mergeSql(target, staging, shape)] : mergeByDeleteSql(target, staging, shape)) await run.run(sql);
        return keys;
      });
    }
    case 'truncate':
      await shapeTarget(setup, run, false);
      // DELETE, not TRUNCATE: TRUNCATE is DDL, would commit at once and expose an empty table.
      return inTransaction(setup, run, checkpoint, async () => {
        if (setup.existing) await run.run(deleteAllSql(target));
        return run.run(insertSql(target, staging, names));
      });
    case 'append':
      await shapeTarget(setup, run, false);
      return inTransaction(setup, run, checkpoint, () => run.run(insertSql(target, staging, names)));
  }
}

function publishError(setup: WriterSetup, error: unknown): FerryError {
  if (errorNumber(error) === ER_DUP_ENTRY) {
    return new DataError(`the rows for ${label(setup)} repeat key values (${setup.request.primaryKey.join(', ')}); nothing was published`, {
      stream: setup.request.stream,
      hint: 'check primary_key for this stream, or use write: merge to keep the last row per key',
      cause: error,
    });
  }
  return driverError(error, `publish ${label(setup)}`, { stream: setup.request.stream });
}

/** Verify the staged count, then publish (see each mode for its transaction). The target is unchanged on failure. */
export async function publish(setup: WriterSetup, staged: number, checkpoint: Checkpoint | undefined): Promise<CommitResult> {
  const run = new Statements(setup);
  let rows: number;
  try {
    const found = await run.count(countSql(setup.staging));
    if (found !== staged) {
      throw new DataError(`staging table for ${label(setup)} holds ${found} rows but ${staged} were staged; nothing was published`, { stream: setup.request.stream });
    }
    rows = await publishRows(setup, run, staged, checkpoint);
  } catch (error) {
    throw publishError(setup, error);
  }
  // Published; a staging table that cannot be dropped now is dropped as an orphan later.
  if (setup.request.write !== 'replace') await run.run(dropTableSql(setup.staging)).catch(() => undefined);
  return { rows, sql: run.sql };
}
