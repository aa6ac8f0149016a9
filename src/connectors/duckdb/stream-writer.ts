import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBDataChunk, type DuckDBAppender, type DuckDBConnection, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import type { Checkpoint } from '../../core/checkpoint.js';
import type { CommitResult, MirrorOptions, OpenRequest, StreamWriter, WriteResult } from '../../core/connector.js';
import { CancelledError, DataError, FerryError, RetryableError } from '../../core/errors.js';
import { type BinaryPart, PgBinaryParts, takesPgBinary } from '../files/pg-binary-parts.js';
import type { Batch, Column, TableRef } from '../../core/schema.js';
import { mirrorOf, nowTimestamptz, SOFT_DELETE_COLUMN } from '../../core/ferry-columns.js';
import { checkMirrorGuard, mirrorGuardNeeded, mirrorScopeError } from '../../core/mirror-guard.js';
import { saveCheckpoint } from './checkpoint-table.js';
import { mirrorCountSql, mirrorDeleteSql, type MirrorShape } from './mirror-statements.js';
import { addColumnSql, createTableSql, insertSelectSql, mergeSql } from './publish-statements.js';
import { quoteIdentifier, quoteLiteral, tableSql } from './sql-identifier.js';
import { alterColumnTypeSql } from './target-table.js';
import { valueWriterFor, type WriteValue } from './write-value.js';

/** DuckDB's vector size: the most rows one data chunk holds. */
const CHUNK_ROWS = 2048;

export interface DuckdbStreamWriterOptions {
  readonly conn: DuckDBConnection;
  readonly appender: DuckDBAppender;
  readonly request: OpenRequest;
  readonly target: TableRef;
  readonly staging: TableRef;
  /** Stream columns the existing target lacks (added on commit under `evolve`). */
  readonly missing: readonly Column[];
  readonly targetExists: boolean;
  /** Schema of Ferry's checkpoints table. */
  readonly checkpointSchema: string;
  /** Serializes publishes of one destination (they touch the shared checkpoints table). */
  readonly serialize: <T>(work: () => Promise<T>) => Promise<T>;
  readonly connectionName: string;
}

/** Binary parts per INSERT: two row groups, compressed on two threads. */
const PARTS_PER_INSERT = 2;

/**
 * Stages a stream through DuckDB's appender, one data chunk (2048 rows) at a
 * time, and publishes it with the checkpoint in one transaction.
 */
export class DuckdbStreamWriter implements StreamWriter {
  /**
   * With `request.rawFormat` `pg-binary` (Postgres binary COPY of columns
   * `takesPgBinary` accepts): the rows are re-encoded into typed Parquet
   * parts (files/pg-binary-parts.ts), inserted into the staging table two at
   * a time, in order, by DuckDB while the next ones fill; no value is decoded
   * in JavaScript.
   */
  readonly writeRaw?: (chunks: AsyncIterable<Uint8Array>, signal: AbortSignal) => Promise<WriteResult>;
  readonly #o: DuckdbStreamWriterOptions;
  readonly #types: readonly DuckDBType[];
  readonly #writers: readonly WriteValue[];
  #staged = 0;
  #appenderOpen = true;
  #finished = false;

  constructor(options: DuckdbStreamWriterOptions) {
    this.#o = options;
    const count = options.appender.columnCount;
    this.#types = Array.from({ length: count }, (_, i) => options.appender.columnType(i));
    this.#writers = this.#types.map((t) => valueWriterFor(t));
    if (options.request.rawFormat === 'pg-binary' && takesPgBinary(options.request.columns)) this.writeRaw = (chunks, signal) => this.#writeBinary(chunks, signal);
  }

  async #writeBinary(chunks: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<WriteResult> {
    this.#closeAppender();
    const folder = await mkdtemp(join(tmpdir(), 'ferry-duckdb-parts-'));
    let inserting: Promise<void> = Promise.resolve();
    // Parts are inserted two at a time: DuckDB then compresses the staging table's row groups on two
    // threads (one part is one row group, one thread), keeping their order.
    let waiting: BinaryPart[] = [];
    const parts = new PgBinaryParts({
      columns: this.#o.request.columns,
      pathOf: (index) => join(folder, `part${index}.parquet`),
      file: tableSql(this.#o.target, 'main'),
      onPart: async (part) => {
        waiting.push(part);
        if (waiting.length < PARTS_PER_INSERT) return;
        const batch = waiting;
        waiting = [];
        // One insert at a time, in order; the next parts fill meanwhile.
        await inserting;
        inserting = this.#insertParts(batch);
        inserting.catch(() => undefined);
      },
    });
    let rows = 0;
    try {
      for await (const chunk of chunks) {
        if (signal.aborted) throw new CancelledError('load cancelled', this.#context());
        rows += await parts.write(chunk);
      }
      const last = await parts.end();
      if (last.rows > 0) waiting.push(last);
      await inserting;
      if (waiting.length > 0) await this.#insertParts(waiting);
    } finally {
      await parts.settle();
      await inserting.catch(() => undefined);
      await rm(folder, { recursive: true, force: true });
    }
    this.#staged += rows;
    return { rows };
  }

  /** Insert consecutive binary parts (columns `c0`, `c1`... typed as the staging columns) into the staging table, in order. */
  async #insertParts(parts: readonly BinaryPart[]): Promise<void> {
    const { request, staging } = this.#o;
    const columns = request.columns.map((c) => quoteIdentifier(c.name)).join(', ');
    const select = request.columns.map((_, i) => `c${i}`).join(', ');
    const paths = parts.map((part) => quoteLiteral(part.path)).join(', ');
    const rows = parts.reduce((n, part) => n + part.rows, 0);
    const first = parts[0] as BinaryPart;
    try {
      const result = await this.#o.conn.run(`INSERT INTO ${tableSql(staging, 'main')} (${columns}) SELECT ${select} FROM read_parquet([${paths}])`);
      if (result.rowsChanged !== rows) throw new FerryError(`staging parts ${first.index}-${first.index + parts.length - 1} inserted ${result.rowsChanged} rows of ${rows}`, this.#context());
    } catch (error) {
      if (error instanceof FerryError) throw error;
      throw new DataError(`staging rows ${first.firstRow + 1}-${first.firstRow + rows} of ${request.stream} failed: ${(error as Error).message.split('\n')[0]}`, { ...this.#context(), cause: error });
    } finally {
      for (const part of parts) await rm(part.path, { force: true });
    }
  }

  async write(batch: Batch): Promise<WriteResult> {
    const order = this.#o.request.columns.map((c) => batch.columns.findIndex((b) => b.name === c.name));
    for (let start = 0; start < batch.rows.length; start += CHUNK_ROWS) {
      const end = Math.min(start + CHUNK_ROWS, batch.rows.length);
      const chunk = DuckDBDataChunk.create(this.#types, end - start);
      chunk.setColumns(this.#columns(batch, order, start, end));
      try {
        this.#o.appender.appendDataChunk(chunk);
      } catch (error) {
        throw new FerryError(`staging rows for ${this.#o.request.stream} failed: ${(error as Error).message}`, { ...this.#context(), cause: error });
      }
    }
    this.#staged += batch.rows.length;
    return { rows: batch.rows.length };
  }

  async commit(checkpoint: Checkpoint | undefined): Promise<CommitResult> {
    this.#closeAppender();
    const sql: string[] = [];
    const run = async (statement: string, params?: string[]): Promise<number> => {
      sql.push(statement);
      return (await this.#o.conn.run(statement, params)).rowsChanged;
    };
    let deleted: number | undefined;
    const rows = await this.#o.serialize(async () => {
      await this.#o.conn.run('BEGIN TRANSACTION');
      try {
        await this.#verifyCount();
        const mirror = await this.#mirrorGuard();
        const published = await this.#publish(run);
        if (mirror && this.#o.targetExists) {
          const stamp = mirror.options.delete === 'soft' ? [this.#o.request.syncedAt ?? nowTimestamptz()] : undefined;
          deleted = await this.#scoped(mirror.options, run(mirrorDeleteSql(mirror), stamp));
        }
        if (this.#o.request.write !== 'replace') await run(`DROP TABLE ${tableSql(this.#o.staging, 'main')}`);
        if (checkpoint) sql.push(await saveCheckpoint(this.#o.conn, this.#o.checkpointSchema, checkpoint));
        await this.#o.conn.run('COMMIT');
        return published;
      } catch (error) {
        await this.#o.conn.run('ROLLBACK').catch(() => undefined);
        throw this.#wrap(error);
      }
    });
    this.#finish();
    return { rows, sql, ...(deleted !== undefined ? { deleted } : {}) };
  }

  async abort(): Promise<void> {
    if (this.#finished) return;
    try {
      this.#closeAppender();
    } catch {
      // The staged rows are being dropped anyway.
    }
    await this.#o.conn.run(`DROP TABLE IF EXISTS ${tableSql(this.#o.staging, 'main')}`).catch(() => undefined);
    this.#finish();
  }

  async #publish(run: (statement: string) => Promise<number>): Promise<number> {
    const { request, target, staging } = this.#o;
    if (request.write === 'replace') {
      await run(`DROP TABLE IF EXISTS ${tableSql(target, 'main')}`);
      await run(`ALTER TABLE ${tableSql(staging, 'main')} RENAME TO ${quoteIdentifier(target.name)}`);
      return this.#staged;
    }
    const keyed = request.write === 'merge' || request.write === 'mirror';
    const key = keyed ? request.primaryKey : [];
    if (this.#o.targetExists) {
      for (const column of this.#o.missing) for (const statement of addColumnSql(target, column)) await run(statement);
      // Safe widenings decided by the schema contract, in the publish transaction.
      for (const column of request.columns.filter((c) => request.widen?.includes(c.name))) for (const statement of alterColumnTypeSql(target, column)) await run(statement);
    } else {
      for (const statement of createTableSql(target, request.columns, { key, notNull: true, ifNotExists: false })) await run(statement);
    }
    if (request.write === 'truncate') await run(`DELETE FROM ${tableSql(target, 'main')}`);
    return run(keyed ? mergeSql(target, staging, request) : insertSelectSql(target, staging, request.columns));
  }

  /**
   * For `mirror`: what its delete step needs; when a guard could refuse, the
   * rows in scope are counted first (before the merge, in the transaction).
   */
  async #mirrorGuard(): Promise<MirrorShape | undefined> {
    const { request, target, staging } = this.#o;
    const options = mirrorOf(request);
    if (!options) return undefined;
    const shape: MirrorShape = { target, staging, primaryKey: request.primaryKey, options };
    if (!this.#o.targetExists || !mirrorGuardNeeded(options, this.#staged)) return shape;
    // A target that has no `_ferry_deleted_at` yet has every row live.
    const unmarked = this.#o.missing.some((c) => c.name === SOFT_DELETE_COLUMN);
    const reader = await this.#scoped(options, this.#o.conn.runAndReadAll(mirrorCountSql(unmarked ? { ...shape, options: { ...options, delete: 'hard' } } : shape)));
    const [live, missing] = reader.getRows()[0] ?? [0, 0];
    const label = `${target.schema}.${target.name}`;
    checkMirrorGuard({ stream: request.stream, target: label, options, staged: this.#staged, counts: { live: Number(live), missing: Number(missing) } });
    return shape;
  }

  /** A binder or parser error in a mirror statement comes from mirror_scope, its only user SQL. */
  async #scoped<T>(options: MirrorOptions, work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      if (options.scope === undefined || !/^(Binder|Parser) Error/.test((error as Error).message)) throw error;
      const target = `${this.#o.target.schema}.${this.#o.target.name}`;
      throw mirrorScopeError(error, { stream: this.#o.request.stream, target, options });
    }
  }

  async #verifyCount(): Promise<void> {
    const reader = await this.#o.conn.runAndReadAll(`SELECT count(*) FROM ${tableSql(this.#o.staging, 'main')}`);
    const counted = Number(reader.getRows()[0]?.[0] ?? -1);
    if (counted !== this.#staged) {
      throw new FerryError(`staging table holds ${counted} rows, ${this.#staged} were written`, { ...this.#context(), hint: 'something else touched the staging table; run again' });
    }
  }

  #columns(batch: Batch, order: readonly number[], start: number, end: number): DuckDBValue[][] {
    return order.map((source, j) => {
      const write = this.#writers[j] as WriteValue;
      const values = new Array<DuckDBValue>(end - start);
      for (let i = start; i < end; i++) {
        const value = source < 0 ? null : (batch.rows[i]?.[source] ?? null);
        try {
          values[i - start] = value === null ? null : write(value);
        } catch (error) {
          const column = this.#o.request.columns[j]?.name;
          throw new DataError(`row ${i + 1} of the batch, column ${column}: ${(error as Error).message}`, { ...this.#context(), cause: error });
        }
      }
      return values;
    });
  }

  #closeAppender(): void {
    if (!this.#appenderOpen) return;
    this.#appenderOpen = false;
    this.#o.appender.closeSync();
  }

  #finish(): void {
    this.#finished = true;
    this.#o.conn.closeSync();
  }

  #wrap(error: unknown): Error {
    if (error instanceof FerryError) return error;
    const message = error instanceof Error ? error.message : String(error);
    const context = { ...this.#context(), cause: error };
    // Optimistic concurrency: another transaction touched the same rows or catalog entry; a retry succeeds.
    if (/conflict/i.test(message)) return new RetryableError(`publishing ${this.#o.request.stream} conflicted with another transaction`, context);
    return new FerryError(`publishing ${this.#o.request.stream} failed: ${message}`, context);
  }

  #context(): { stream: string; connection: string } {
    return { stream: this.#o.request.stream, connection: this.#o.connectionName };
  }
}
