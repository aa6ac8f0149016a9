import type { Readable } from 'node:stream';
import type pg from 'pg';
import type { CaptureOptions, ChangeCapture } from '../../core/change-capture.js';
import type { ChunkPlan, ChunkPlanRequest } from '../../core/chunk.js';
import type { ConnectorContext, RawFormat, ReadRequest, ReadTarget, SharedSnapshot, Source } from '../../core/connector.js';
import { CancelledError, ConfigError, FerryError } from '../../core/errors.js';
import type { Batch, Column, LogicalType, StreamDescriptor, Value } from '../../core/schema.js';
import type { ExecuteOptions, SqlResult } from '../../core/sql-result.js';
import { encodeValue } from '../../core/values.js';
import { describeRelation, discoverRelations } from './catalog.js';
import { PostgresChangeCapture } from './cdc/postgres-change-capture.js';
import { planPostgresChunks } from './chunk-planner.js';
import { leaseClient, openPool, withPooledClient, type ClientLease } from './client.js';
import type { PostgresConfig } from './config.js';
import { CopyDataOut } from './copy-data-out.js';
import { CopyTextParser } from './copy-text-parser.js';
import { ferryCsvCopySql, ferryCsvFits } from './csv-out-sql.js';
import { CsvRowPatch, type RowRewriter } from './csv-row-patch.js';
import { driverError } from './driver-error.js';
import { describeQuery } from './query-columns.js';
import { executeSql } from './execute-sql.js';
import { quoteIdent, quoteLiteral } from './identifiers.js';
import { copyOutSql, countSql, cursorLiteral, selectSql } from './read-sql.js';

/** How `#copyOut` reads: framed CopyData (pass-through to another Postgres), or payloads, rows rewritten on the way by `rewrite`. */
interface CopyOutOptions {
  /** Called with the COPY's stream once it runs. */
  readonly started?: (stream: Readable) => void;
  readonly framed?: boolean;
  readonly rewrite?: RowRewriter;
}

/** Text a batch holds at most, whatever `batchSize` says (at least one row). */
const BATCH_BYTES = 1 << 20;

/**
 * A slow read (the scattered rows of an incremental window, a megabyte taking a
 * fifth of a second) hands a batch over early: once it holds this much text,
 * has been filling for HANDOVER_MS and nothing more has arrived from the server.
 * The writer then stages rows as they come, and little is left to stage once
 * the read ends. A fast read fills its batches before the time is up.
 */
const HANDOVER_BYTES = 64 << 10;
const HANDOVER_MS = 25;

/** Connections a source keeps at most: catalog queries plus one per parallel chunk read (more reads wait for one). */
const READ_POOL_MAX = 34;

/**
 * Reads tables and queries with `COPY (SELECT ...) TO STDOUT`, each read on a
 * connection of its own, checked out of the source's pool (a finished read
 * hands its session back; an interrupted one is closed). Rows are decoded from COPY text into canonical values;
 * `readRaw` passes binary COPY bytes through untouched (`pg-binary`), or CSV
 * that Postgres renders in Ferry's canonical text (`ferry-csv`, csv-out-sql.ts).
 *
 * Memory stays flat: the COPY stream is consumed with async iteration, so the
 * socket is only read when the consumer asks for the next batch.
 */
export class PostgresSource implements Source {
  readonly rawFormats: readonly RawFormat[] = ['pg-copy-data', 'pg-binary', 'ferry-csv'];
  readonly #config: PostgresConfig;
  readonly #ctx: ConnectorContext;
  readonly #pool: pg.Pool;
  readonly #reading = new Set<ClientLease>();

  constructor(config: PostgresConfig, ctx: ConnectorContext) {
    this.#config = config;
    this.#ctx = ctx;
    // Reads check out pooled clients too (READ_POOL_MAX): the first one reuses the session of the planning queries.
    this.#pool = openPool(config, ctx, READ_POOL_MAX);
  }

  discover(): Promise<StreamDescriptor[]> {
    return withPooledClient(this.#pool, this.#config, this.#ctx, (client) => discoverRelations(client));
  }

  describe(target: ReadTarget): Promise<StreamDescriptor> {
    return withPooledClient(this.#pool, this.#config, this.#ctx, (client) =>
      target.kind === 'query' ? describeQuery(client, target.sql) : describeRelation(client, target.table, this.#config.schema),
    );
  }

  readSql(request: ReadRequest): string {
    return copyOutSql(request, this.#config.schema, 'text');
  }

  async count(request: ReadRequest): Promise<number> {
    const sql = countSql(request, this.#config.schema);
    return withPooledClient(this.#pool, this.#config, this.#ctx, async (client) => {
      try {
        const result = await client.query<{ n: string }>(sql);
        return Number(result.rows[0]?.n ?? 0);
      } catch (error) {
        throw driverError(error, `count rows of ${request.stream}`, { stream: request.stream });
      }
    });
  }

  async estimateRows(request: ReadRequest): Promise<number | undefined> {
    const sql = `EXPLAIN (FORMAT JSON) ${selectSql(request, this.#config.schema)}`;
    return withPooledClient(this.#pool, this.#config, this.#ctx, async (client) => {
      try {
        const result = await client.query<{ 'QUERY PLAN': unknown }>(sql);
        return planRows(result.rows[0]?.['QUERY PLAN']);
      } catch (error) {
        throw driverError(error, `estimate the rows of ${request.stream}`, { stream: request.stream });
      }
    });
  }

  async *read(request: ReadRequest, signal: AbortSignal): AsyncIterable<Batch> {
    const columns = await this.#readColumns(request);
    const parser = new CopyTextParser(columns, request.stream);
    const size = Math.max(1, request.batchSize);
    let bytes = 0;
    let yielded = false;
    let filling = 0;
    let buffered = (): number => 0;
    const slow = (): boolean => bytes >= HANDOVER_BYTES && performance.now() - filling >= HANDOVER_MS && buffered() === 0;
    const sql = copyOutSql(request, this.#config.schema, 'text');
    for await (const chunk of this.#copyOut(request, sql, signal, { started: (copy) => (buffered = () => copy.readableLength) })) {
      if (bytes === 0) filling = performance.now();
      parser.push(chunk);
      bytes += chunk.length;
      while (parser.pending >= size) {
        yield { columns, rows: parser.take(size), bytes };
        yielded = true;
        bytes = 0;
      }
      // Wide rows, or a small read (an incremental window): hand over what a megabyte holds, or
      // what a slow read has so far, so the writer stages it while the rest is read, and a
      // batch's memory stays bounded.
      if (parser.pending > 0 && (bytes >= BATCH_BYTES || slow())) {
        yield { columns, rows: parser.take(), bytes };
        yielded = true;
        bytes = 0;
      }
    }
    parser.end();
    // An empty read still yields one (empty) batch so consumers learn the columns.
    if (parser.pending > 0 || !yielded) yield { columns, rows: parser.take(), bytes };
  }

  /** Binary COPY always; canonical CSV where every column's canonical text can be rendered in SQL (csv-out-sql.ts). */
  rawFormatsFor(_request: ReadRequest, columns: readonly Column[]): readonly RawFormat[] {
    return ferryCsvFits(columns) ? this.rawFormats : ['pg-copy-data', 'pg-binary'];
  }

  async *readRaw(request: ReadRequest, format: RawFormat, signal: AbortSignal): AsyncIterable<Uint8Array> {
    if (format === 'pg-binary') {
      yield* this.#copyOut(request, copyOutSql(request, this.#config.schema, 'binary'), signal);
      return;
    }
    if (format === 'pg-copy-data') {
      yield* this.#copyOut(request, copyOutSql(request, this.#config.schema, 'binary'), signal, { framed: true });
      return;
    }
    const columns = format === 'ferry-csv' ? await this.#readColumns(request) : [];
    if (!ferryCsvFits(columns)) throw new FerryError(`postgres cannot produce raw format ${format} for ${request.stream}`, { stream: request.stream });
    const rewrite = CsvRowPatch.for(columns);
    yield* this.#copyOut(request, ferryCsvCopySql(request, this.#config.schema, columns), signal, { ...(rewrite ? { rewrite } : {}) });
  }

  openChangeCapture(options: CaptureOptions): ChangeCapture {
    return new PostgresChangeCapture(this.#config, this.#ctx, this.#pool, options);
  }

  async planChunks(request: ChunkPlanRequest): Promise<ChunkPlan> {
    const descriptor = await this.describe(request.read.target);
    const plan = await withPooledClient(this.#pool, this.#config, this.#ctx, (client) => planPostgresChunks(client, request, descriptor, this.#config.schema));
    return request.cursor === undefined ? plan : { ...plan, cursorMax: await this.#cursorMax(request.read, request.cursor) };
  }

  /**
   * A REPEATABLE READ transaction on a session of its own, exporting its
   * snapshot (`pg_export_snapshot`): reads given its id import it, so ranges
   * read on separate connections see one state of the database, as one
   * statement would. The session stays open, idle in its transaction, until released.
   */
  async shareSnapshot(signal: AbortSignal): Promise<SharedSnapshot> {
    if (signal.aborted) throw new CancelledError('snapshot cancelled', {});
    const lease = await leaseClient(this.#pool, this.#config, this.#ctx);
    let id: string;
    try {
      await lease.client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const result = await lease.client.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
      id = result.rows[0]?.id ?? '';
    } catch (error) {
      lease.done(true);
      throw driverError(error, 'export a snapshot for the parallel range reads', {});
    }
    let released = false;
    return {
      id,
      release: async () => {
        if (released) return;
        released = true;
        const ended = await lease.client.query('COMMIT').then(() => true, () => false);
        lease.done(!ended);
      },
    };
  }

  /** The highest cursor value the read sees now, decoded like any row (so encoded canonically). */
  async #cursorMax(read: ReadRequest, cursor: string): Promise<string | null> {
    const inner = selectSql({ ...read, columns: [cursor] }, this.#config.schema);
    const sql = `SELECT max(${quoteIdent(cursor)}) AS ${quoteIdent(cursor)} FROM (${inner}) w`;
    let value: Value = null;
    for await (const batch of this.read({ stream: read.stream, target: { kind: 'query', sql }, batchSize: 1 }, new AbortController().signal)) {
      value = batch.rows[0]?.[0] ?? value;
    }
    return encodeValue(value);
  }

  execute(sql: string, options?: ExecuteOptions): Promise<SqlResult> {
    return withPooledClient(this.#pool, this.#config, this.#ctx, (client) => executeSql(client, sql, options));
  }

  /** A quoted literal cast to the type (`'42'::bigint`); see cursorLiteral. */
  literal(value: Value, type: LogicalType): string {
    return value === null ? 'NULL' : cursorLiteral(value, type.kind);
  }

  async connect(): Promise<void> {
    await withPooledClient(this.#pool, this.#config, this.#ctx, async () => undefined);
  }

  async close(): Promise<void> {
    for (const lease of this.#reading) lease.done(true);
    this.#reading.clear();
    await this.#pool.end();
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
   * Chunks of `COPY ... TO STDOUT` on a dedicated client. Leaving early (break,
   * error, abort) destroys the connection: a half-read COPY cannot be reused,
   * and closing the socket makes the server stop the query.
   */
  async *#copyOut(request: ReadRequest, sql: string, signal: AbortSignal, options: CopyOutOptions = {}): AsyncGenerator<Buffer> {
    const { started, framed = false, rewrite } = options;
    if (signal.aborted) throw new CancelledError('read cancelled', { stream: request.stream });
    const lease = await leaseClient(this.#pool, this.#config, this.#ctx);
    this.#reading.add(lease);
    if (request.snapshot !== undefined) {
      try {
        await lease.client.query(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT ${quoteLiteral(request.snapshot)}`);
      } catch (error) {
        this.#reading.delete(lease);
        lease.done(true);
        throw driverError(error, `import the shared snapshot to read ${request.stream}`, { stream: request.stream });
      }
    }
    const stream: Readable = lease.client.query(new CopyDataOut(sql, { payloads: !framed, ...(rewrite ? { rewrite } : {}) }));
    started?.(stream);
    const onAbort = (): void => {
      stream.destroy(new CancelledError('read cancelled', { stream: request.stream }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    let finished = false;
    try {
      for await (const chunk of stream) yield chunk as Buffer;
      // The snapshot's transaction ends before the session goes back to the pool.
      if (request.snapshot !== undefined) await lease.client.query('COMMIT');
      finished = true;
    } catch (error) {
      if (signal.aborted) throw new CancelledError('read cancelled', { stream: request.stream, cause: error });
      throw driverError(error, `read ${request.stream}`, { stream: request.stream });
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#reading.delete(lease);
      lease.done(!finished);
    }
  }
}

/** `Plan Rows` of the top node of an `EXPLAIN (FORMAT JSON)` result; undefined when the shape is not the expected one. */
function planRows(explained: unknown): number | undefined {
  const top: unknown = Array.isArray(explained) ? explained[0] : undefined;
  if (typeof top !== 'object' || top === null || !('Plan' in top)) return undefined;
  const plan: unknown = top.Plan;
  if (typeof plan !== 'object' || plan === null || !('Plan Rows' in plan)) return undefined;
  const rows = plan['Plan Rows'];
  return typeof rows === 'number' && Number.isFinite(rows) ? rows : undefined;
}
