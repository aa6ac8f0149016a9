import { setImmediate as breathe } from 'node:timers/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ConnectorContext, ReadRequest, ReadTarget, Source } from '../../core/connector.js';
import { CancelledError, DataError, FerryError } from '../../core/errors.js';
import type { Batch, LogicalType, Row, StreamDescriptor, Value } from '../../core/schema.js';
import type { ExecuteOptions, SqlResult } from '../../core/sql-result.js';
import { executeSql } from './execute-sql.js';
import { duckdbLiteral } from './sql-literal.js';
import { duckdbDatabasePath, duckdbOptions, type DuckdbConfig } from './config.js';
import { acquireInstance, type InstanceLease } from './instance-cache.js';
import { readStatement, type ReadStatement } from './read-statement.js';
import { valueReaderFor, type ReadValue } from './read-value.js';
import { listTables, readShape, type ReadShape } from './table-shape.js';

/** Reads tables, views and queries of one DuckDB database, streaming chunk by chunk. */
export class DuckdbSource implements Source {
  readonly rawFormats = [] as const;
  readonly #config: DuckdbConfig;
  readonly #ctx: ConnectorContext;
  /** Shapes seen by describe/read, so the synchronous `readSql` can render the exact statement. */
  readonly #shapes = new Map<string, ReadShape>();
  #lease: Promise<InstanceLease> | undefined;
  #conn: Promise<DuckDBConnection> | undefined;

  constructor(config: DuckdbConfig, ctx: ConnectorContext) {
    this.#config = config;
    this.#ctx = ctx;
  }

  async discover(): Promise<StreamDescriptor[]> {
    const conn = await this.#connection();
    const tables = await listTables(conn);
    const shapes: StreamDescriptor[] = [];
    for (const table of tables) shapes.push((await this.#shape({ kind: 'table', table })).descriptor);
    return shapes;
  }

  async describe(target: ReadTarget): Promise<StreamDescriptor> {
    return (await this.#shape(target)).descriptor;
  }

  readSql(request: ReadRequest): string {
    const shape = this.#shapes.get(JSON.stringify(request.target));
    if (!shape) return `SELECT ... FROM ${request.target.kind === 'table' ? request.target.table.name : `(${request.target.sql})`} (describe the stream first)`;
    const statement = readStatement(request, shape);
    const shown = statement.values.map((v, i) => `$${i + 1} = ${String(v)}`);
    return shown.length > 0 ? `${statement.sql} -- ${shown.join(', ')}` : statement.sql;
  }

  async count(request: ReadRequest): Promise<number> {
    const statement = readStatement(request, await this.#shape(request.target));
    const conn = await this.#connection();
    const reader = await conn.runAndReadAll(`SELECT count(*) FROM (${statement.sql})`, statement.values, statement.types);
    return Number(reader.getRows()[0]?.[0] ?? 0);
  }

  /** Rows in batches of about `batchSize`, from a connection of its own (streams read in parallel). */
  async *read(request: ReadRequest, signal: AbortSignal): AsyncIterable<Batch> {
    const statement = readStatement(request, await this.#shape(request.target));
    const readers = statement.columns.map((c) => valueReaderFor(c.type));
    const conn = await (await this.#instance()).instance.connect();
    try {
      const result = await conn.stream(statement.sql, statement.values, statement.types);
      let rows: Row[] = [];
      let position = 0;
      for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
        const converted = this.#convert(chunk.getColumns(), readers, statement, request, position);
        position += converted.length;
        rows = rows.length === 0 ? converted : rows.concat(converted);
        if (rows.length >= request.batchSize) {
          yield { columns: statement.columns, rows };
          rows = [];
          await breathe();
        }
        if (signal.aborted) throw new CancelledError('read cancelled', { stream: request.stream, connection: this.#ctx.connection });
      }
      if (rows.length > 0) yield { columns: statement.columns, rows };
    } catch (error) {
      if (error instanceof FerryError) throw error;
      throw new FerryError(`reading ${request.stream} failed: ${(error as Error).message}`, { stream: request.stream, connection: this.#ctx.connection, cause: error });
    } finally {
      conn.closeSync();
    }
  }

  async execute(sql: string, options?: ExecuteOptions): Promise<SqlResult> {
    try {
      return await executeSql(await this.#connection(), sql, options);
    } catch (error) {
      throw new FerryError(`the statement failed: ${(error as Error).message}`, { connection: this.#ctx.connection, cause: error });
    }
  }

  literal(value: Value, type: LogicalType): string {
    return duckdbLiteral(value, type);
  }

  async close(): Promise<void> {
    const conn = this.#conn;
    const lease = this.#lease;
    this.#conn = undefined;
    this.#lease = undefined;
    if (conn) (await conn.catch(() => undefined))?.closeSync();
    if (lease) (await lease.catch(() => undefined))?.release();
  }

  #convert(columns: readonly unknown[][], readers: readonly ReadValue[], statement: ReadStatement, request: ReadRequest, offset: number): Row[] {
    const count = columns[0]?.length ?? 0;
    const rows: Row[] = new Array<Row>(count);
    for (let i = 0; i < count; i++) rows[i] = new Array(readers.length);
    for (let j = 0; j < readers.length; j++) {
      const values = columns[j] as Parameters<ReadValue>[0][];
      const read = readers[j] as ReadValue;
      for (let i = 0; i < count; i++) {
        const value = values[i] ?? null;
        try {
          (rows[i] as Row)[j] = value === null ? null : read(value);
        } catch (error) {
          const where = request.target.kind === 'table' ? request.target.table.name : 'query';
          throw new DataError(`${where}.${statement.columns[j]?.name} at row ${offset + i + 1}: ${(error as Error).message}`, { stream: request.stream, connection: this.#ctx.connection, rowKey: `row ${offset + i + 1}`, cause: error });
        }
      }
    }
    return rows;
  }

  async #shape(target: ReadTarget): Promise<ReadShape> {
    const shape = await readShape(await this.#connection(), target, this.#config.schema);
    this.#shapes.set(JSON.stringify(target), shape);
    return shape;
  }

  #instance(): Promise<InstanceLease> {
    this.#lease ??= acquireInstance(duckdbDatabasePath(this.#config, this.#ctx), duckdbOptions(this.#config), this.#ctx.connection);
    return this.#lease;
  }

  #connection(): Promise<DuckDBConnection> {
    this.#conn ??= this.#instance().then((lease) => lease.instance.connect());
    return this.#conn;
  }
}
