import { setImmediate as breathe } from 'node:timers/promises';
import type { ChunkPlan, ChunkPlanRequest } from '../../core/chunk.js';
import type { ConnectorContext, ReadRequest, ReadTarget, Source } from '../../core/connector.js';
import { CancelledError, DataError } from '../../core/errors.js';
import type { Batch, LogicalType, Row, StreamDescriptor, Value } from '../../core/schema.js';
import type { ExecuteOptions, SqlResult } from '../../core/sql-result.js';
import { executeSql } from './execute-sql.js';
import { sqliteLiteral } from './sql-literal.js';
import { openDatabase, wrapSqliteError, type SqliteDatabase } from './database.js';
import { sqliteDatabasePath, type SqliteConfig } from './config.js';
import { ValueRefused, valueReaderFor, type ReadValue } from './read-value.js';
import { readStatement, type ReadStatement } from './read-statement.js';
import { planSqliteChunks } from './chunk-planner.js';
import { quoteIdentifier } from './sql-identifier.js';
import { encodeValue } from '../../core/values.js';
import { listTables, queryShape, tableShape, type TableShape } from './table-shape.js';

/** Reads tables, views and queries of one SQLite database file. */
export class SqliteSource implements Source {
  readonly rawFormats = [] as const;
  readonly #path: string;
  readonly #config: SqliteConfig;
  readonly #ctx: ConnectorContext;
  #db: SqliteDatabase | undefined;

  constructor(config: SqliteConfig, ctx: ConnectorContext) {
    this.#config = config;
    this.#ctx = ctx;
    this.#path = sqliteDatabasePath(config, ctx);
  }

  async discover(): Promise<StreamDescriptor[]> {
    const db = this.#database();
    return listTables(db).map((name) => tableShape(db, { name }).descriptor);
  }

  async describe(target: ReadTarget): Promise<StreamDescriptor> {
    return this.#shape(target).descriptor;
  }

  readSql(request: ReadRequest): string {
    const statement = this.#statement(request);
    const shown = statement.params.map((p) => (Buffer.isBuffer(p) ? `x'${p.toString('hex')}'` : JSON.stringify(String(p))));
    return shown.length > 0 ? `${statement.sql} -- ? = ${shown.join(', ')}` : statement.sql;
  }

  async count(request: ReadRequest): Promise<number> {
    const statement = this.#statement(request);
    const n = this.#database().prepare(`SELECT count(*) FROM (${statement.sql})`).pluck().get(...statement.params);
    return Number(n);
  }

  /**
   * Rows in batches of `batchSize`, from a connection of its own (a statement
   * being iterated keeps its connection busy, and streams are read in parallel).
   */
  async *read(request: ReadRequest, signal: AbortSignal): AsyncIterable<Batch> {
    const statement = this.#statement(request);
    const own = this.#path === ':memory:' ? undefined : this.#open();
    const db = own ?? this.#database();
    const readers = statement.columns.map((c) => valueReaderFor(c.type));
    const iterator = db.prepare(statement.sql).raw(true).iterate(...statement.params) as IterableIterator<unknown[]>;
    try {
      let rows: Row[] = [];
      let seen = 0;
      for (let next = iterator.next(); !next.done; next = iterator.next()) {
        rows.push(this.#convert(next.value, readers, statement, request, ++seen));
        if (rows.length >= request.batchSize) {
          yield { columns: statement.columns, rows };
          rows = [];
          await breathe();
          if (signal.aborted) throw new CancelledError('read cancelled', { stream: request.stream, connection: this.#ctx.connection });
        }
      }
      if (rows.length > 0) yield { columns: statement.columns, rows };
    } catch (error) {
      throw wrapSqliteError(error, `reading ${request.stream} failed`, { stream: request.stream, connection: this.#ctx.connection });
    } finally {
      iterator.return?.();
      own?.close();
    }
  }

  async planChunks(request: ChunkPlanRequest): Promise<ChunkPlan> {
    const plan = planSqliteChunks(this.#database(), request, this.#shape(request.read.target));
    return request.cursor === undefined ? plan : { ...plan, cursorMax: this.#cursorMax(request.read, request.cursor) };
  }

  /** The highest cursor value the read sees now, converted like any value read (so encoded canonically). */
  #cursorMax(read: ReadRequest, cursor: string): string | null {
    const statement = this.#statement({ ...read, columns: [cursor] });
    const column = statement.columns[0];
    const raw = this.#database().prepare(`SELECT max(${quoteIdentifier(cursor)}) FROM (${statement.sql})`).pluck().safeIntegers(true).get(...statement.params);
    if (raw === null || raw === undefined || !column) return null;
    return encodeValue(valueReaderFor(column.type)(raw));
  }

  async execute(sql: string, options?: ExecuteOptions): Promise<SqlResult> {
    try {
      return executeSql(this.#database(), sql, options);
    } catch (error) {
      throw wrapSqliteError(error, 'the statement failed', { connection: this.#ctx.connection });
    }
  }

  literal(value: Value, type: LogicalType): string {
    return sqliteLiteral(value, type);
  }

  async close(): Promise<void> {
    this.#db?.close();
    this.#db = undefined;
  }

  #convert(raw: unknown[], readers: readonly ReadValue[], statement: ReadStatement, request: ReadRequest, position: number): Row {
    const row: Row = new Array(readers.length);
    for (let j = 0; j < readers.length; j++) {
      try {
        const value = raw[j];
        row[j] = value === null ? null : (readers[j] as ReadValue)(value);
      } catch (error) {
        const column = statement.columns[j]?.name ?? String(j);
        const where = statement.rowidIndex !== undefined ? `rowid ${String(raw[statement.rowidIndex])}` : `row ${position}`;
        const table = request.target.kind === 'table' ? request.target.table.name : 'query';
        throw new DataError(`${table}.${column} at ${where}: ${(error as Error).message}`, {
          stream: request.stream,
          connection: this.#ctx.connection,
          rowKey: where,
          ...(error instanceof ValueRefused && error.hint ? { hint: error.hint } : {}),
          cause: error,
        });
      }
    }
    return row;
  }

  #statement(request: ReadRequest): ReadStatement {
    const shape = this.#shape(request.target);
    return readStatement({ request, shape: shape.descriptor, rowid: shape.rowid });
  }

  #shape(target: ReadTarget): TableShape {
    const db = this.#database();
    if (target.kind === 'query') return { descriptor: queryShape(db, target.sql), rowid: undefined };
    return tableShape(db, target.table);
  }

  #database(): SqliteDatabase {
    this.#db ??= this.#open();
    return this.#db;
  }

  #open(): SqliteDatabase {
    return openDatabase({ path: this.#path, busyTimeoutMs: this.#config.busy_timeout_ms, connection: this.#ctx.connection, create: false });
  }
}
