import type { RowDataPacket } from 'mysql2/promise';
import type { ChunkPlan, ChunkPlanRequest } from '../../core/chunk.js';
import type { Readable } from 'node:stream';
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

  /** EXPLAIN's row estimate for a table read (index dives on a cursor range); undefined for queries, whose plans have several rows. */
  async estimateRows(request: ReadRequest): Promise<number | undefined> {
    if (request.target.kind !== 'table') return undefined;
    const connection = await this.#catalogConnection();
    try {
      const [rows] = await connection.query<RowDataPacket[]>(`EXPLAIN ${selectSql(request, undefined, this.#database)}`);
      const estimate = rows.length === 1 ? Number(rows[0]?.['rows']) : Number.NaN;
      return Number.isFinite(estimate) ? estimate : undefined;
    } catch (error) {
      throw driverError(error, `estimate the rows of ${request.stream}`, { stream: request.stream });
    }
  }

  async *read(request: ReadRequest, signal: AbortSignal): AsyncIterable<Batch> {
    const columns = await this.#readColumns(request);
    const decoders = columns.map(decoderFor);
    const context: DecodeContext = { stream: request.stream, zeroDates: this.#config.zero_dates, zeroDateCounts: new Map() };
    const size = Math.max(1, request.batchSize);
    let bytes = 0;
    let yielded = false;
    const decodeRow = (raw: RawRow): Row => {
      const row = new Array<Row[number]>(raw.length);
      for (let i = 0; i < raw.length; i++) {
        const cell = raw[i];
        if (cell === null || cell === undefined) {
          row[i] = null;
        } else {
          bytes += cell.length;
          row[i] = decode(decoders[i], cell, context, columns[i]);
        }
      }
      return row;
    };
    for await (const rows of this.#stream(selectSql(request, columns, this.#database), request.stream, size, decodeRow, signal)) {
      yield { columns, rows, bytes };
      yielded = true;
      bytes = 0;
    }
    // An empty read still yields one (empty) batch so consumers learn the columns.
    if (!yielded) yield { columns, rows: [], bytes };
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
   * Rows of `sql`, decoded as they arrive (raw buffers die young, which keeps
   * garbage collection cheap), in chunks of up to `chunk` rows, streamed on a
   * dedicated connection. While a chunk is being consumed the
   * driver buffers at most `chunk` more rows, then pauses the socket.
   * Leaving early (break, error, abort) destroys the connection: a half-read
   * result cannot be skipped cheaply, and closing the socket stops the query.
   */
  async *#stream(sql: string, stream: string, chunk: number, decodeRow: (raw: RawRow) => Row, signal: AbortSignal): AsyncGenerator<Row[]> {
    if (signal.aborted) throw new CancelledError('read cancelled', { stream });
    const connection = await openConnection(this.#config, this.#ctx);
    this.#reading.add(connection);
    const rows = coreOf(connection).query({ sql, rowsAsArray: true, typeCast: false }).stream({ highWaterMark: chunk });
    const onAbort = (): void => {
      rows.destroy(new CancelledError('read cancelled', { stream }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    let finished = false;
    try {
      for await (const rowsChunk of chunks(rows, chunk, decodeRow)) yield rowsChunk;
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

type RawRow = (Buffer | null)[];

/**
 * Group a row stream into decoded arrays of up to `size` rows without a
 * promise per row: rows are decoded in 'data' events and the stream is
 * paused while a full chunk waits for the consumer.
 */
async function* chunks(rows: Readable, size: number, decodeRow: (raw: RawRow) => Row): AsyncGenerator<Row[]> {
  let buffer: Row[] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const signal = (): void => {
    wake?.();
    wake = undefined;
  };
  rows.on('data', (raw: RawRow) => {
    try {
      buffer.push(decodeRow(raw));
    } catch (error) {
      failure = error;
      rows.destroy();
      signal();
      return;
    }
    if (buffer.length >= size) {
      rows.pause();
      signal();
    }
  });
  rows.once('end', () => {
    ended = true;
    signal();
  });
  rows.once('error', (error: unknown) => {
    failure = error;
    signal();
  });
  while (true) {
    if (failure !== undefined) throw failure;
    if (buffer.length >= size || (ended && buffer.length > 0)) {
      const full = buffer;
      buffer = [];
      yield full;
      rows.resume();
      continue;
    }
    if (ended) return;
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
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
