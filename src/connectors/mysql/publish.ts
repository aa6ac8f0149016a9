import type { RowDataPacket } from 'mysql2/promise';
import type { Checkpoint } from '../../core/checkpoint.js';
import type { CommitResult } from '../../core/connector.js';
import { DataError, type FerryError } from '../../core/errors.js';
import { checkpointParams, upsertCheckpointSql } from './checkpoint-table.js';
import { driverError, ER_DUP_ENTRY, errorNumber } from './driver-error.js';
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
  type MergeShape,
  swapTablesSql,
  uniqueIndexSql,
} from './publish-sql.js';
import { DEFAULT_MIRROR, mirrorOf, nowTimestamptz } from '../../core/ferry-columns.js';
import { checkMirrorGuard, mirrorGuardNeeded, mirrorScopeError } from '../../core/mirror-guard.js';
import { mirrorCountSql, mirrorDeleteSql, stagingKeyIndexSql } from './mirror-sql.js';
import { oldName } from './staging.js';
import { hasUniqueKey } from './target-catalog.js';
import { modifyColumnSql } from './target-table.js';
import type { WriterSetup } from './writer-setup.js';


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

  /** The first row of a query. */
  async row(sql: string): Promise<RowDataPacket | undefined> {
    this.sql.push(sql);
    const [rows] = await this.#setup.connection.query<RowDataPacket[]>(sql);
    return rows[0];
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
  await widenColumns(setup, run);
}

/** Safe widenings decided by the schema contract (DDL: each commits on its own and only widens). */
async function widenColumns(setup: WriterSetup, run: Statements): Promise<void> {
  const { request, target } = setup;
  for (const name of request.widen ?? []) {
    const index = request.columns.findIndex((c) => c.name === name);
    const column = request.columns[index];
    const ddl = setup.ddls[index];
    if (!column || !ddl) continue;
    const [rows] = await setup.connection.query<RowDataPacket[]>(
      'SELECT IS_NULLABLE AS nullable FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?',
      [target.schema, target.name, name],
    );
    await run.run(modifyColumnSql(target, column, ddl, rows[0]?.['nullable'] === 'NO'));
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

/** MySQL's unknown-column and syntax errors: a mirror statement that cannot compile because of mirror_scope. */
const SCOPE_ERRORS: ReadonlySet<number> = new Set([1054, 1064]);

/**
 * Merge, then delete (or mark) the target rows in scope whose key the load
 * lacks, with the checkpoint in one transaction; a guard that refuses does so
 * inside it, before anything changed. Table DDL (new columns, the key index,
 * the staging key index) commits on its own before, as for merge.
 */
async function publishMirror(setup: WriterSetup, run: Statements, staged: number, checkpoint: Checkpoint | undefined): Promise<Published> {
  const { request, target, staging } = setup;
  const options = mirrorOf(request) ?? DEFAULT_MIRROR;
  const existed = setup.existing !== undefined;
  await shapeTarget(setup, run, true);
  const keyed = await ensureMergeKey(setup, run);
  const mirror = { target, staging, primaryKey: request.primaryKey, options };
  const indexable = request.primaryKey.every((k) => !UNINDEXABLE.test(setup.ddls[request.columns.findIndex((c) => c.name === k)]?.type ?? ''));
  if (existed && indexable) await run.run(stagingKeyIndexSql(mirror));
  const keys = await run.count(distinctKeysSql(staging, request.primaryKey));
  const shape = mergeShapeOf(setup);
  const context = { stream: request.stream, target: label(setup), options };
  const scoped = <T>(work: Promise<T>): Promise<T> =>
    work.catch((error: unknown) => {
      throw options.scope !== undefined && SCOPE_ERRORS.has(errorNumber(error) ?? 0) ? mirrorScopeError(error, context) : error;
    });
  let deleted = 0;
  const rows = await inTransaction(setup, run, checkpoint, async () => {
    if (existed && mirrorGuardNeeded(options, staged)) {
      const counts = await scoped(run.row(mirrorCountSql(mirror)));
      checkMirrorGuard({ ...context, staged, counts: { live: Number(counts?.['live'] ?? 0), missing: Number(counts?.['missing'] ?? 0) } });
    }
    for (const sql of keyed ? [mergeSql(target, staging, shape)] : mergeByDeleteSql(target, staging, shape)) await run.run(sql);
    const stamp = options.delete === 'soft' ? [utcDatetime(request.syncedAt ?? nowTimestamptz())] : undefined;
    if (existed) deleted = await scoped(run.run(mirrorDeleteSql(mirror), stamp));
    return keys;
  });
  return { rows, deleted };
}

/** `2024-05-01T10:00:00.5Z` -> `2024-05-01 10:00:00.5`: a timestamptz as the UTC DATETIME(6) Ferry stores it in. */
function utcDatetime(canonical: string): string {
  return canonical.replace('T', ' ').replace(/Z$/, '');
}

function mergeShapeOf(setup: WriterSetup): MergeShape {
  const { request } = setup;
  return { names: request.columns.map((c) => c.name), primaryKey: request.primaryKey, ...(request.cursorColumn !== undefined ? { cursorColumn: request.cursorColumn } : {}) };
}

interface Published {
  readonly rows: number;
  readonly deleted?: number;
}

async function publishRows(setup: WriterSetup, run: Statements, staged: number, checkpoint: Checkpoint | undefined): Promise<Published> {
  const { request, target, staging } = setup;
  const names = request.columns.map((c) => c.name);
  switch (request.write) {
    case 'mirror':
      return publishMirror(setup, run, staged, checkpoint);
    case 'replace':
      return { rows: await publishReplace(setup, run, staged, checkpoint) };
    case 'merge': {
      await shapeTarget(setup, run, true);
      const keyed = await ensureMergeKey(setup, run);
      const keys = await run.count(distinctKeysSql(staging, request.primaryKey));
      const shape = mergeShapeOf(setup);
      return { rows: await inTransaction(setup, run, checkpoint, async () => {
        for (const sql of keyed ? [mergeSql(target, staging, shape)] : mergeByDeleteSql(target, staging, shape)) await run.run(sql);
        return keys;
      }) };
    }
    case 'truncate':
      await shapeTarget(setup, run, false);
      // DELETE, not TRUNCATE: TRUNCATE is DDL, would commit at once and expose an empty table.
      return { rows: await inTransaction(setup, run, checkpoint, async () => {
        if (setup.existing) await run.run(deleteAllSql(target));
        return run.run(insertSql(target, staging, names));
      }) };
    case 'append':
      await shapeTarget(setup, run, false);
      return { rows: await inTransaction(setup, run, checkpoint, () => run.run(insertSql(target, staging, names))) };
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
  let published: Published;
  try {
    const found = await run.count(countSql(setup.staging));
    if (found !== staged) {
      throw new DataError(`staging table for ${label(setup)} holds ${found} rows but ${staged} were staged; nothing was published`, { stream: setup.request.stream });
    }
    published = await publishRows(setup, run, staged, checkpoint);
  } catch (error) {
    throw publishError(setup, error);
  }
  // Published; a staging table that cannot be dropped now is dropped as an orphan later.
  if (setup.request.write !== 'replace') await run.run(dropTableSql(setup.staging)).catch(() => undefined);
  return { rows: published.rows, sql: run.sql, ...(published.deleted !== undefined ? { deleted: published.deleted } : {}) };
}
