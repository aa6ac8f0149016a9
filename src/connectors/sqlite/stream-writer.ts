import type { Checkpoint } from '../../core/checkpoint.js';
import type { CommitResult, MirrorOptions, OpenRequest, StreamWriter, WriteResult } from '../../core/connector.js';
import { DataError, FerryError } from '../../core/errors.js';
import type { Batch, Column } from '../../core/schema.js';
import { mirrorOf, nowTimestamptz, SOFT_DELETE_COLUMN } from '../../core/ferry-columns.js';
import { checkMirrorGuard, mirrorGuardNeeded, mirrorScopeError } from '../../core/mirror-guard.js';
import { valueBinderFor, type BindValue, type SqliteParameter } from './bind-value.js';
import { mirrorCountSql, mirrorDeleteSql, stagingKeyIndexSql, type MirrorShape } from './mirror-statements.js';
import { saveCheckpoint } from './checkpoint-table.js';
import { wrapSqliteError } from './database.js';
import { addColumnSql, createTableSql, insertSelectSql, mergeSql } from './publish-statements.js';
import { widenStatements } from './target-table.js';
import { quoteIdentifier, quoteList } from './sql-identifier.js';
import type { Statement } from 'better-sqlite3';
import type { WriteConnection } from './write-connection.js';

/** SQLite allows 32766 parameters per statement; ~500 rows per INSERT is where gains flatten. */
const MAX_PARAMETERS = 32_766;
const MAX_ROWS_PER_INSERT = 500;

export interface StreamWriterOptions {
  readonly connection: WriteConnection;
  readonly request: OpenRequest;
  readonly staging: string;
  /** Columns of the stream the target lacks (added on commit; only with `evolve`). */
  readonly missing: readonly Column[];
  readonly targetExists: boolean;
  /** Connection name, for messages. */
  readonly connectionName: string;
}

/** Stages one stream's rows in `_ferry_stage_<hash>` and publishes them in one transaction. */
export class SqliteStreamWriter implements StreamWriter {
  readonly #o: StreamWriterOptions;
  readonly #binders: readonly BindValue[];
  readonly #inserts = new Map<number, Statement>();
  readonly #rowsPerInsert: number;
  #staged = 0;
  #finished = false;

  constructor(options: StreamWriterOptions) {
    this.#o = options;
    this.#binders = options.request.columns.map((c) => valueBinderFor(c.type));
    this.#rowsPerInsert = Math.max(1, Math.min(MAX_ROWS_PER_INSERT, Math.floor(MAX_PARAMETERS / Math.max(1, options.request.columns.length))));
  }

  async write(batch: Batch): Promise<WriteResult> {
    const order = this.#columnOrder(batch.columns);
    const { connection } = this.#o;
    try {
      connection.stage();
      const step = this.#rowsPerInsert;
      for (let start = 0; start < batch.rows.length; start += step) {
        const end = Math.min(start + step, batch.rows.length);
        this.#insert(end - start).run(this.#parameters(batch, order, start, end));
      }
    } catch (error) {
      throw wrapSqliteError(error, `staging rows for ${this.#o.request.stream} failed`, this.#context());
    }
    this.#staged += batch.rows.length;
    return { rows: batch.rows.length };
  }

  async commit(checkpoint: Checkpoint | undefined): Promise<CommitResult> {
    const sql: string[] = [];
    const { db } = this.#o.connection;
    const run = (statement: string, ...params: SqliteParameter[]): number => {
      sql.push(statement);
      return db.prepare(statement).run(...params).changes;
    };
    try {
      let deleted: number | undefined;
      const rows = this.#o.connection.publish(() => {
        this.#verifyCount();
        const existed = this.#o.targetExists;
        const guard = this.#mirrorGuard(existed, run);
        const published = this.#publish(run);
        if (guard && existed) {
          const stamp = guard.options.delete === 'soft' ? [this.#o.request.syncedAt ?? nowTimestamptz()] : [];
          deleted = this.#scoped(guard.options, () => run(mirrorDeleteSql(guard), ...stamp));
        }
        if (this.#o.request.write !== 'replace') run(`DROP TABLE ${quoteIdentifier(this.#o.staging)}`);
        if (checkpoint) saveCheckpoint(db, checkpoint);
        return published;
      });
      this.#finished = true;
      return { rows, sql, ...(deleted !== undefined ? { deleted } : {}) };
    } catch (error) {
      throw wrapSqliteError(error, `publishing ${this.#o.request.stream} failed`, this.#context());
    }
  }

  async abort(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    const { connection } = this.#o;
    if (!connection.db.open) return;
    connection.db.exec(`DROP TABLE IF EXISTS ${quoteIdentifier(this.#o.staging)}`);
    connection.flush();
  }

  /**
   * For `mirror`: what its delete step needs; when a guard could refuse, the
   * rows in scope are counted first (before the merge, in the transaction).
   */
  #mirrorGuard(existed: boolean, run: (statement: string) => number): MirrorShape | undefined {
    const { request, staging } = this.#o;
    const options = mirrorOf(request);
    if (!options) return undefined;
    const shape: MirrorShape = { target: request.target.name, staging, primaryKey: request.primaryKey, options };
    if (!existed) return shape;
    run(stagingKeyIndexSql(shape));
    if (!mirrorGuardNeeded(options, this.#staged)) return shape;
    // A target that has no `_ferry_deleted_at` yet has every row live.
    const unmarked = this.#o.missing.some((c) => c.name === SOFT_DELETE_COLUMN);
    const countSql = mirrorCountSql(unmarked ? { ...shape, options: { ...options, delete: 'hard' } } : shape);
    const counts = this.#scoped(options, () => this.#o.connection.db.prepare(countSql).get() as { live: number | bigint; missing: number | bigint });
    checkMirrorGuard({ stream: request.stream, target: request.target.name, options, staged: this.#staged, counts: { live: Number(counts.live), missing: Number(counts.missing) } });
    return shape;
  }

  /** SQLITE_ERROR from a mirror statement (no such column, syntax): mirror_scope is its only user SQL. */
  #scoped<T>(options: MirrorOptions, work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (options.scope === undefined || (error as { code?: unknown }).code !== 'SQLITE_ERROR') throw error;
      throw mirrorScopeError(error, { stream: this.#o.request.stream, target: this.#o.request.target.name, options });
    }
  }

  #publish(run: (statement: string) => number): number {
    const { request, staging } = this.#o;
    const target = request.target.name;
    if (request.write === 'replace') {
      run(`DROP TABLE IF EXISTS ${quoteIdentifier(target)}`);
      run(`ALTER TABLE ${quoteIdentifier(staging)} RENAME TO ${quoteIdentifier(target)}`);
      return this.#staged;
    }
    const keyed = request.write === 'merge' || request.write === 'mirror';
    run(createTableSql(target, request.columns, keyed ? request.primaryKey : [], true));
    if (this.#o.targetExists) for (const column of this.#o.missing) run(addColumnSql(target, column));
    // Safe widenings decided by the schema contract: the table is rebuilt inside this transaction.
    const widened = request.columns.filter((c) => request.widen?.includes(c.name));
    if (this.#o.targetExists) for (const statement of widenStatements(this.#o.connection.db, target, widened)) run(statement);
    if (request.write === 'truncate') run(`DELETE FROM ${quoteIdentifier(target)}`);
    if (keyed) this.#ensureUniqueKey(run);
    return run(keyed ? mergeSql(target, staging, request) : insertSelectSql(target, staging, request.columns));
  }

  /** ON CONFLICT needs a unique index on the key; a table made by `replace` has none yet. */
  #ensureUniqueKey(run: (statement: string) => number): void {
    const { request } = this.#o;
    const { db } = this.#o.connection;
    const wanted = [...request.primaryKey].sort().join('\u0000');
    const pk = (db.prepare('SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY name').pluck().all(request.target.name) as string[]).join('\u0000');
    if (pk === wanted) return;
    const indexes = db.prepare(`SELECT name FROM pragma_index_list(?) WHERE "unique" = 1`).pluck().all(request.target.name) as string[];
    for (const index of indexes) {
      const cols = (db.prepare('SELECT name FROM pragma_index_info(?) ORDER BY name').pluck().all(index) as string[]).join('\u0000');
      if (cols === wanted) return;
    }
    run(`CREATE UNIQUE INDEX ${quoteIdentifier(`${request.target.name}_ferry_key`)} ON ${quoteIdentifier(request.target.name)} (${quoteList(request.primaryKey)})`);
  }

  #verifyCount(): void {
    const counted = Number(this.#o.connection.db.prepare(`SELECT count(*) FROM ${quoteIdentifier(this.#o.staging)}`).pluck().get());
    if (counted !== this.#staged) {
      throw new FerryError(`staging table holds ${counted} rows, ${this.#staged} were written`, { ...this.#context(), hint: 'another process may have touched the staging table; run again' });
    }
  }

  #insert(rows: number): Statement {
    let statement = this.#inserts.get(rows);
    if (!statement) {
      const { request, staging } = this.#o;
      const tuple = `(${request.columns.map(() => '?').join(', ')})`;
      const values = new Array<string>(rows).fill(tuple).join(', ');
      statement = this.#o.connection.db.prepare(`INSERT INTO ${quoteIdentifier(staging)} (${quoteList(request.columns.map((c) => c.name))}) VALUES ${values}`);
      this.#inserts.set(rows, statement);
    }
    return statement;
  }

  #parameters(batch: Batch, order: readonly number[], start: number, end: number): SqliteParameter[] {
    const width = order.length;
    const params = new Array<SqliteParameter>((end - start) * width);
    let k = 0;
    for (let i = start; i < end; i++) {
      const row = batch.rows[i] ?? [];
      for (let j = 0; j < width; j++) {
        const source = order[j] ?? -1;
        try {
          params[k++] = source < 0 ? null : (this.#binders[j] as BindValue)(row[source] ?? null);
        } catch (error) {
          const column = this.#o.request.columns[j]?.name;
          throw new DataError(`row ${i + 1} of the batch, column ${column}: ${(error as Error).message}`, { ...this.#context(), cause: error });
        }
      }
    }
    return params;
  }

  /** Position of each staging column in the batch (-1: not in the batch, staged as NULL). */
  #columnOrder(columns: readonly Column[]): number[] {
    return this.#o.request.columns.map((c) => columns.findIndex((b) => b.name === c.name));
  }

  #context(): { stream: string; connection: string } {
    return { stream: this.#o.request.stream, connection: this.#o.connectionName };
  }
}
