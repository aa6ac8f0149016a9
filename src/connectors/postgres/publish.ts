import type { Checkpoint } from '../../core/checkpoint.js';
import type { CommitResult } from '../../core/connector.js';
import { DataError, FerryError } from '../../core/errors.js';
import { checkpointParams, upsertCheckpointSql } from './checkpoint-table.js';
import { driverError, errorCode } from './driver-error.js';
import { fitIdentifier, quoteTable } from './identifiers.js';
import {
  addColumnSql,
  addPrimaryKeySql,
  countSql,
  createTableSql,
  dropTableSql,
  insertSql,
  mergeSql,
  renameIndexSql,
  renameTableSql,
  uniqueIndexSql,
} from './publish-sql.js';
import { hasUniqueKey } from './target-catalog.js';
import { alterColumnTypeSql } from './target-table.js';
import type { WriterSetup } from './writer-setup.js';

/** Runs statements on the writer's client and records them for the run record. */
class Statements {
  readonly sql: string[] = [];
  readonly #setup: WriterSetup;

  constructor(setup: WriterSetup) {
    this.#setup = setup;
  }

  async run(sql: string, params?: unknown[]): Promise<number> {
    this.sql.push(sql);
    const result = await this.#setup.client.query(sql, params);
    return result.rowCount ?? 0;
  }
}

function label(setup: WriterSetup): string {
  return `${setup.target.schema}.${setup.target.name}`;
}

/** Staged rows must all be there before anything is published. */
async function verifyCount(setup: WriterSetup, run: Statements, staged: number): Promise<void> {
  const result = await setup.client.query<{ n: string }>(countSql(setup.staging));
  run.sql.push(countSql(setup.staging));
  const found = Number(result.rows[0]?.n ?? -1);
  if (found !== staged) {
    throw new DataError(`staging table for ${label(setup)} holds ${found} rows but ${staged} were staged; nothing was published`, {
      stream: setup.request.stream,
    });
  }
}

/** Create a missing target, or add the columns it lacks (`evolve`). */
async function shapeTarget(setup: WriterSetup, run: Statements, withKey: boolean): Promise<void> {
  const { request, target } = setup;
  if (!setup.existing) {
    await run.run(
      createTableSql(target, { columns: request.columns, types: setup.types, notNull: true, ...(withKey ? { primaryKey: request.primaryKey } : {}) }),
    );
    return;
  }
  for (const column of setup.missing) {
    await run.run(addColumnSql(target, column, setup.types[request.columns.indexOf(column)] ?? 'text'));
  }
  // Safe widenings decided by the schema contract, in the publish transaction: a rollback undoes them.
  for (const name of request.widen ?? []) {
    const index = request.columns.findIndex((c) => c.name === name);
    if (index >= 0) await run.run(alterColumnTypeSql(target, name, setup.types[index] ?? 'text'));
  }
}

async function publishReplace(setup: WriterSetup, run: Statements, staged: number): Promise<number> {
  const { target, staging } = setup;
  if (setup.existing) await run.run(dropTableSql(target));
  await run.run(renameTableSql(staging, target.name));
  if (setup.request.primaryKey.length > 0) {
    const wanted = fitIdentifier(`${target.name}_pkey`);
    const taken = await setup.client.query('SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2', [target.schema, wanted]);
    if (taken.rows.length === 0) await run.run(renameIndexSql(target.schema, fitIdentifier(`${staging.name}_pkey`), wanted));
  }
  return staged;
}

async function publishMerge(setup: WriterSetup, run: Statements): Promise<number> {
  const { request, target, staging } = setup;
  await shapeTarget(setup, run, true);
  if (setup.existing && !hasUniqueKey(setup.existing, request.primaryKey)) {
    try {
      await run.run(uniqueIndexSql(target, request.primaryKey));
    } catch (error) {
      if (errorCode(error) !== '23505') throw error;
      throw new DataError(`target ${label(setup)} has duplicate values of (${request.primaryKey.join(', ')}), so it cannot be merged on that key`, {
        stream: request.stream,
        hint: 'remove the duplicates from the target, or use write: append/replace',
        cause: error,
      });
    }
  }
  const names = request.columns.map((c) => c.name);
  return run.run(mergeSql(target, staging, { names, primaryKey: request.primaryKey, ...(request.cursorColumn !== undefined ? { cursorColumn: request.cursorColumn } : {}) }));
}

async function publishRows(setup: WriterSetup, run: Statements, staged: number): Promise<number> {
  const names = setup.request.columns.map((c) => c.name);
  switch (setup.request.write) {
    case 'replace':
      return publishReplace(setup, run, staged);
    case 'merge':
      return publishMerge(setup, run);
    case 'truncate':
      await shapeTarget(setup, run, false);
      if (setup.existing) await run.run(`TRUNCATE ${quoteTable(setup.target)}`);
      return run.run(insertSql(setup.target, setup.staging, names));
    case 'append':
      await shapeTarget(setup, run, false);
      return run.run(insertSql(setup.target, setup.staging, names));
  }
}

function publishError(setup: WriterSetup, error: unknown): FerryError {
  if (errorCode(error) === '2BP01') {
    return new FerryError(`cannot replace ${label(setup)}: other objects (views) depend on it`, {
      stream: setup.request.stream,
      hint: 'use write: truncate (keeps the table and its views), or drop the dependent views',
      cause: error,
    });
  }
  return driverError(error, `publish ${label(setup)}`, { stream: setup.request.stream });
}

/**
 * Verify the staged count, then publish and store the checkpoint in ONE
 * transaction. On failure everything rolls back and the target is unchanged.
 */
export async function publish(setup: WriterSetup, staged: number, checkpoint: Checkpoint | undefined): Promise<CommitResult> {
  const run = new Statements(setup);
  const { request, staging, client } = setup;
  try {
    await verifyCount(setup, run, staged);
    if (request.write === 'replace' && request.primaryKey.length > 0) {
      // Built before the swap so the target's exclusive lock is held only for the rename.
      await run.run(addPrimaryKeySql(staging, fitIdentifier(`${staging.name}_pkey`), request.primaryKey));
    }
  } catch (error) {
    if (errorCode(error) === '23505') {
      throw new DataError(`the rows for ${label(setup)} repeat primary key values (${request.primaryKey.join(', ')}); nothing was published`, {
        stream: request.stream,
        hint: 'check primary_key for this stream, or use write: merge to keep the last row per key',
        cause: error,
      });
    }
    throw publishError(setup, error);
  }
  await run.run('BEGIN');
  let rows: number;
  try {
    rows = await publishRows(setup, run, staged);
    if (checkpoint) await run.run(upsertCheckpointSql(setup.config.schema), checkpointParams(checkpoint));
    await run.run('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw publishError(setup, error);
  }
  // Published; a staging table that cannot be dropped now is dropped as an orphan later.
  if (request.write !== 'replace') await run.run(dropTableSql(staging)).catch(() => undefined);
  return { rows, sql: run.sql };
}
