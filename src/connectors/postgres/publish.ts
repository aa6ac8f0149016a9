import type pg from 'pg';
import type { Checkpoint } from '../../core/checkpoint.js';
import type { CommitResult } from '../../core/connector.js';
import { DataError, FerryError } from '../../core/errors.js';
import { checkpointParams, upsertCheckpointSql } from './checkpoint-table.js';
import { driverError, errorCode } from './driver-error.js';
import { fitIdentifier, quoteTable } from './identifiers.js';
import {
  addColumnSql,
  addPrimaryKeySql,
  createTableSql,
  dropTableSql,
  insertSql,
  mergeSql,
  renameIndexSql,
  renameTableSql,
  uniqueIndexSql,
} from './publish-sql.js';
import { DEFAULT_MIRROR, mirrorOf, nowTimestamptz } from '../../core/ferry-columns.js';
import { checkMirrorGuard, mirrorGuardNeeded, mirrorScopeError } from '../../core/mirror-guard.js';
import { mirrorCountSql, mirrorDeleteSql } from './mirror-sql.js';
import { hasUniqueKey } from './target-catalog.js';
import { alterColumnTypeSql } from './target-table.js';
import type { WriterSetup } from './writer-setup.js';

/**
 * Runs statements on the writer's client and records them for the run record.
 * Statements without parameters may be held back (`later`) and go out with the
 * next one in a single simple-protocol message: `BEGIN` with the first
 * statement of the publish, `DROP` with `COMMIT`. Fewer round trips, the same
 * statements in the same order, in the same transaction.
 */
class Statements {
  readonly sql: string[] = [];
  readonly #setup: WriterSetup;
  #held: string[] = [];

  constructor(setup: WriterSetup) {
    this.#setup = setup;
  }

  /** Send `sql` with the next statement (or `flush`). */
  later(sql: string): void {
    this.sql.push(sql);
    this.#held.push(sql);
  }

  /** Run `sql` (after any held statements); resolves with its row count. */
  async run(sql: string, params?: unknown[]): Promise<number> {
    this.sql.push(sql);
    if (params !== undefined) {
      await this.flush();
      return (await this.#setup.client.query(sql, params)).rowCount ?? 0;
    }
    return this.#send([...this.#take(), sql]);
  }

  /** A query whose rows are wanted (not recorded), after the held statements: inside the transaction they open. */
  async rows<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]> {
    await this.flush();
    return (await this.#setup.client.query<R>(sql, params)).rows;
  }

  /** Send the held statements, if any. */
  async flush(): Promise<void> {
    const held = this.#take();
    if (held.length > 0) await this.#send(held);
  }

  #take(): string[] {
    const held = this.#held;
    this.#held = [];
    return held;
  }

  /** One message; a message of several statements answers with one result each, the last being the one asked for. */
  async #send(statements: readonly string[]): Promise<number> {
    const result: pg.QueryResult | pg.QueryResult[] = await this.#setup.client.query(statements.join('; '));
    const last = Array.isArray(result) ? result[result.length - 1] : result;
    return last?.rowCount ?? 0;
  }
}

function label(setup: WriterSetup): string {
  return `${setup.target.schema}.${setup.target.name}`;
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
    const taken = await run.rows('SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2', [target.schema, wanted]);
    if (taken.length === 0) await run.run(renameIndexSql(target.schema, fitIdentifier(`${staging.name}_pkey`), wanted));
  }
  return staged;
}

/** A key to merge on: the target's primary key, or a unique index added to a table created without one. */
async function ensureMergeKey(setup: WriterSetup, run: Statements): Promise<void> {
  const { request, target } = setup;
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
}

async function publishMerge(setup: WriterSetup, run: Statements): Promise<number> {
  await ensureMergeKey(setup, run);
  return mergeRows(setup, run);
}

function mergeRows(setup: WriterSetup, run: Statements): Promise<number> {
  const { request, target, staging } = setup;
  const names = request.columns.map((c) => c.name);
  return run.run(mergeSql(target, staging, { names, primaryKey: request.primaryKey, ...(request.cursorColumn !== undefined ? { cursorColumn: request.cursorColumn } : {}) }));
}

/**
 * Merge, then delete (or mark) the target rows in scope whose key the load
 * lacks, in the caller's transaction. Guards count first and refuse before
 * anything changed.
 */
async function publishMirror(setup: WriterSetup, run: Statements, staged: number): Promise<Published> {
  const { request, target, staging } = setup;
  const options = mirrorOf(request) ?? DEFAULT_MIRROR;
  const existed = setup.existing !== undefined;
  await ensureMergeKey(setup, run);
  const shape = { target, staging, primaryKey: request.primaryKey, options };
  const context = { stream: request.stream, target: label(setup), options };
  // Class 42 (syntax error, undefined column): the statement cannot compile, and mirror_scope is its only user SQL.
  const scoped = <T>(work: Promise<T>): Promise<T> =>
    work.catch((error: unknown) => {
      throw options.scope !== undefined && errorCode(error)?.startsWith('42') ? mirrorScopeError(error, context) : error;
    });
  if (existed && mirrorGuardNeeded(options, staged)) {
    run.sql.push(mirrorCountSql(shape));
    const counted = await scoped(run.rows<{ live: string; missing: string }>(mirrorCountSql(shape)));
    const row = counted[0];
    checkMirrorGuard({ ...context, staged, counts: { live: Number(row?.live ?? 0), missing: Number(row?.missing ?? 0) } });
  }
  const rows = await mergeRows(setup, run);
  if (!existed) return { rows, deleted: 0 };
  const deleted = await scoped(run.run(mirrorDeleteSql(shape), options.delete === 'soft' ? [request.syncedAt ?? nowTimestamptz()] : undefined));
  return { rows, deleted };
}

interface Published {
  readonly rows: number;
  readonly deleted?: number;
}

async function publishRows(setup: WriterSetup, run: Statements, staged: number): Promise<Published> {
  const names = setup.request.columns.map((c) => c.name);
  switch (setup.request.write) {
    case 'replace':
      return { rows: await publishReplace(setup, run, staged) };
    case 'merge':
      return { rows: await publishMerge(setup, run) };
    case 'mirror':
      return publishMirror(setup, run, staged);
    case 'truncate':
      await shapeTarget(setup, run, false);
      if (setup.existing) await run.run(`TRUNCATE ${quoteTable(setup.target)}`);
      return { rows: await run.run(insertSql(setup.target, setup.staging, names)) };
    case 'append':
      await shapeTarget(setup, run, false);
      return { rows: await run.run(insertSql(setup.target, setup.staging, names)) };
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
 * Publish the `staged` rows (each already confirmed by the server's COPY row
 * count) and store the checkpoint in ONE transaction. On failure everything
 * rolls back and the target is unchanged.
 */
export async function publish(setup: WriterSetup, staged: number, checkpoint: Checkpoint | undefined): Promise<CommitResult> {
  const run = new Statements(setup);
  const { request, staging, client } = setup;
  try {
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
  run.later('BEGIN');
  let published: Published;
  try {
    published = await publishRows(setup, run, staged);
    if (checkpoint) await run.run(upsertCheckpointSql(setup.config.schema), checkpointParams(checkpoint));
    // Dropped with the publish, in the same commit: one round trip and one WAL flush fewer than a drop after it.
    if (request.write !== 'replace') run.later(dropTableSql(staging));
    await run.run('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw publishError(setup, error);
  }
  return { rows: published.rows, sql: run.sql, ...(published.deleted !== undefined ? { deleted: published.deleted } : {}) };
}
