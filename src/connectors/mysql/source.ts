import type { RowDataPacket } from 'mysql2/promise';
import type { ChunkPlan, ChunkPlanRequest } from '../../core/chunk.js';
import type { ConnectorContext, RawFormat, ReadRequest, ReadTarget, Source } from '../../core/connector.js';
import { CancelledError, ConfigError, DataError, FerryError } from '../../core/errors.js';
import type { Batch, Column, LogicalType, Row, StreamDescriptor, Value } from '../../core/schema.js';
import type { ExecuteOptions, SqlResult } from '../../core/sql-result.js';
import { executeSql } from './execute-sql.js';
import { describeTable, discoverTables } from './catalog.js';
import { closeConnection, coreOf, openConnection, type MysqlConnection } from './client.js';
import { defaultDatabase, type MysqlConfig } from './config.js';
import { driverError } from './driver-error.js';
import { describeQuery } from './query-columns.js';
import { planMysqlChunks } from './chunk-planner.js';
import { quoteIdent } from './identifiers.js';
import { countSql, cursorLiteral, selectSql } from './read-sql.js';
import { encodeValue } from '../../core/values.js';
import { decoderFor, type DecodeContext } from './read-value.js';
import type { TypingOptions } from './type-map.js';

/** Rows the driver may buffer ahead of the consumer before it pauses the socket. */
const READ_AHEAD_ROWS = 1000;

/**
 * Reads tables and queries with one streamed SELECT per read on a dedicated
 * connection. Every value arrives as raw bytes (`typeCast: false`) and is
 * decoded into its canonical form by the column's decoder.
 *
 * Memory stays flat: the driver pauses the socket when its row buffer is
 * full, and the buffer is only drained as the consumer asks for batches.
 */
export class MysqlSource implements Source {
  readonly rawFormats: readonly RawFormat[] = [];
  readonly #config: MysqlConfig;
  readonly #ctx: ConnectorContext;
  readonly #typing: TypingOptions;
  readonly #database: string | undefined;
  readonly #reading = new Set<MysqlConnection>();
  #catalog: Promise<MysqlConnection> | undefined;

  constructor(config: MysqlConfig, ctx: ConnectorContext) {
    this.#config = config;
    this.#ctx = ctx;
    this.#database = defaultDatabase(config);
    this.#typing = { timeType: config.time_type, datesAsText: config.zero_dates === 'keep_text', nullableDates: config.zero_dates === 'null' };
  }

  async discover(): Promise<StreamDescriptor[]> {
    return discoverTables(await this.#catalogConnection(), this.#typing);
  }

  async describe(target: ReadTarget): Promise<StreamDescriptor> {
    const connection = await this.#catalogConnection();
    if (target.kind === 'query') return describeQuery(connection, target.sql, this.#typing);
    const schema = target.table.schema ?? this.#database;
    return describeTable(connection, this.#typing, schema === undefined ? target.table : { schema, name: target.table.name });
  }

  readSql(request: ReadRequest): string {
    const columns = request.columns?.map((name): Column => ({ name, type: { kind: 'string' }, nullable: true }));
    return selectSql(request, columns, this.#database);
  }

  async count(request: ReadRequest): Promise<number> {
    const connection = await this.#catalogConnection();
    try {
      const [rows] = await connection.query<RowDataPacket[]>(countSql(request, this.#database));
      return Number(rows[0]?.['n'] ?? 0);
    } catch (error) {
      throw driverError(error, `count rows of ${request.stream}`, { stream: request.stream });
    }
  }

  async *read(request: ReadRequest, signal: AbortSignal): AsyncIterable<Batch> {
    const columns = await this.#readColumns(request);
    const decoders = columns.map(decoderFor);
    const context: DecodeContext = { stream: request.stream, zeroDates: this.#config.zero_dates, zeroDateCounts: new Map() };
    const size = Math.max(1, request.batchSize);
    let rows: Row[] = [];
    let bytes = 0;
    let yielded = false;
    for await (const raw of this.#stream(selectSql(request, columns, this.#database), request.stream, signal)) {
      const row = new Array<Row[number]>(raw.length);
      for (let i = 0; i < raw.length; i++) {
        const cell = raw[i];
        if (cell === null || cell === undefined) {
          row[i] = null;
          continue;
        }
        bytes += cell.length;
        row[i] = decode(decoders[i], cell, context, columns[i]);
      }
      rows.push(row);
      if (rows.length >= size) {
        yield { columns, rows, bytes };
        yielded = true;
        rows = [];
        bytes = 0;
      }
    }
    // An empty read still yields one (empty) batch so consumers learn the columns.
    if (rows.length > 0 || !yielded) yield { columns, rows, bytes };
    for (const [column, n] of context.zeroDateCounts) {
      this.#ctx.logger.warn({ stream: request.stream, column, rows: n }, `zero dates read as NULL (zero_dates: null)`);
    }
  }

  async planChunks(request: ChunkPlanRequest): Promise<ChunkPlan> {
    const descriptor = await this.describe(request.read.target);
    const plan = await planMysqlChunks(request, descriptor, this.#database, (read) => this.read(read, new AbortController().signal));
    return request.cursor === undefined ? plan : { ...plan, cursorMax: await this.#cursorMax(request.read, request.cursor) };
  }

  /** The highest cursor value the read sees now, decoded like any row (so encoded canonically). */
  async #cursorMax(read: ReadRequest, cursor: string): Promise<string | null> {
    const inner = this.readSql({ ...read, columns: [cursor] });
    const sql = `SELECT MAX(${quoteIdent(cursor)}) AS ${quoteIdent(cursor)} FROM (${inner}) w`;
    let value: Value = null;
    for await (const batch of this.read({ stream: read.stream, target: { kind: 'query', sql }, batchSize: 1 }, new AbortController().signal)) {
      value = batch.rows[0]?.[0] ?? value;
    }
    return encodeValue(value);
  }

  async execute(sql: string, options?: ExecuteOptions): Promise<SqlResult> {
    return executeSql(await this.#catalogConnection(), sql, this.#config, this.#typing, options);
  }

  /** A literal MySQL compares exactly with a column of the type (see cursorLiteral). */
  literal(value: Value, type: LogicalType): string {
    return value === null ? 'NULL' : cursorLiteral(value, type.kind);
  }

  async close(): Promise<void> {
    for (const connection of this.#reading) connection.destroy();
    this.#reading.clear();
    const catalog = this.#catalog;
    this.#catalog = undefined;
    const connection = catalog ? await catalog.catch(() => undefined) : undefined;
    if (connection) await closeConnection(connection);
  }

  /** One connection for catalog queries and counts, opened on first use. */
  #catalogConnection(): Promise<MysqlConnection> {
    this.#catalog ??= openConnection(this.#config, this.#ctx);
    this.#catalog.catch(() => {
      this.#catalog = undefined;
    });
    return this.#catalog;
  }

  /** The requested columns (all when unspecified), in request order, with their types. */
  async #readColumns(request: ReadRequest): Promise<Column[]> {
    const described = await this.describe(request.target);
    if (request.columns === undefined) return [...described.columns];
    return request.columns.map((name) => {
      const column = described.columns.find((c) => c.name === name);
      if (!column) {
        throw new ConfigError(`column "${name}" does not exist in ${request.stream}`, {
          stream: request.stream,
          hint: `columns: ${described.columns.map((c) => c.name).join(', ')}`,
        });
      }
      return column;
    });
  }

  /**
   * Rows of `sql` as arrays of raw buffers, streamed on a dedicated connection.
   * Leaving early (break, error, abort) destroys the connection: a half-read
   * result cannot be skipped cheaply, and closing the socket stops the query.
   */
  async *#stream(sql: string, stream: string, signal: AbortSignal): AsyncGenerator<(Buffer | null)[]> {
    if (signal.aborted) throw new CancelledError('read cancelled', { stream });
    const connection = await openConnection(this.#config, this.#ctx);
    this.#reading.add(connection);
    const rows = coreOf(connection).query({ sql, rowsAsArray: true, typeCast: false }).stream({ highWaterMark: READ_AHEAD_ROWS });
    const onAbort = (): void => {
      rows.destroy(new CancelledError('read cancelled', { stream }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    let finished = false;
    try {
      for await (const row of rows) yield row as (Buffer | null)[];
      finished = true;
    } catch (error) {
      if (signal.aborted) throw new CancelledError('read cancelled', { stream, cause: error });
      throw driverError(error, `read ${stream}`, { stream });
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#reading.delete(connection);
      if (finished) await closeConnection(connection);
      else connection.destroy();
    }
  }
}

function decode(decoder: ((raw: Buffer, context: DecodeContext) => Row[number]) | undefined, cell: Buffer, context: DecodeContext, column: Column | undefined): Row[number] {
  try {
    return decoder ? decoder(cell, context) : cell.toString('utf8');
  } catch (error) {
    if (error instanceof FerryError) throw error;
    throw new DataError(`column "${column?.name ?? '?'}" holds ${JSON.stringify(cell.toString('utf8').slice(0, 100))}, which is not a valid ${column?.type.kind ?? 'value'}`, {
      stream: context.stream,
      cause: error,
    });
  }
}
