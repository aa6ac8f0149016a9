import type { Checkpoint } from '../../core/checkpoint.js';
import type { CommitResult, ConnectorContext, Destination, DestinationCapabilities, OpenRequest, PublishTableRequest, StreamWriter, TargetTable } from '../../core/connector.js';
import { CancelledError } from '../../core/errors.js';
import { FerryColumns } from '../../core/ferry-columns.js';
import type { Column, StreamDescriptor, TableRef } from '../../core/schema.js';
import type { TypeFidelity } from '../../core/type-fidelity.js';
import type { ExecuteOptions, SqlResult } from '../../core/sql-result.js';
import { executeSql } from './execute-sql.js';
import { readCheckpointRow } from './checkpoint-table.js';
import { closeConnection, openConnection, type MysqlConnection } from './client.js';
import { defaultDatabase, type MysqlConfig } from './config.js';
import { driverError } from './driver-error.js';
import { publishBuiltTable } from './publish-table.js';
import { MysqlStreamWriter } from './stream-writer.js';
import { describeTargetTable } from './target-table.js';
import { mysqlTypeFidelity } from './type-fidelity.js';
import { checkpointDatabaseOf, prepareWriter } from './writer-setup.js';

const CAPABILITIES: DestinationCapabilities = Object.freeze({
  writes: Object.freeze(['replace', 'append', 'truncate', 'merge', 'mirror'] as const),
  transactional: true,
  rawFormats: Object.freeze([] as const),
  schemas: true,
  // Each writer stages into a table of its own, so chunks of one stream load in parallel.
  parallelWriters: true,
});

/**
 * Loads streams into MySQL/MariaDB: one dedicated connection per writer, rows
 * staged with LOAD DATA LOCAL INFILE (or multi-row INSERTs), published with an
 * atomic RENAME (replace) or one transaction holding the rows and the stream's
 * checkpoint (`<database>._ferry_checkpoints`).
 */
export class MysqlDestination implements Destination {
  readonly capabilities = CAPABILITIES;
  readonly #config: MysqlConfig;
  readonly #ctx: ConnectorContext;
  readonly #writers = new Set<MysqlStreamWriter>();

  constructor(config: MysqlConfig, ctx: ConnectorContext) {
    this.#config = config;
    this.#ctx = ctx;
  }

  typeFidelity(column: Column): TypeFidelity {
    return mysqlTypeFidelity(column);
  }

  defaultTarget(stream: StreamDescriptor, schema?: string): TableRef {
    const database = schema ?? defaultDatabase(this.#config);
    return database === undefined ? { name: stream.table.name } : { schema: database, name: stream.table.name };
  }

  async open(stream: OpenRequest, signal: AbortSignal): Promise<StreamWriter> {
    if (signal.aborted) throw new CancelledError('cancelled before opening the writer', { stream: stream.stream });
    const ferry = FerryColumns.of(stream);
    const { request } = ferry;
    checkpointDatabaseOf(this.#config, request.stream);
    const connection = await openConnection(this.#config, this.#ctx);
    try {
      const setup = await prepareWriter(connection, request, this.#config, this.#ctx);
      const writer = new MysqlStreamWriter(setup, (w) => this.#writers.delete(w));
      this.#writers.add(writer);
      return ferry.wrap(writer);
    } catch (error) {
      connection.destroy();
      throw driverError(error, `prepare ${request.target.schema ?? defaultDatabase(this.#config) ?? ''}.${request.target.name}`, { stream: request.stream });
    }
  }

  async describeTarget(target: TableRef): Promise<TargetTable | undefined> {
    const database = target.schema ?? defaultDatabase(this.#config);
    if (database === undefined) return undefined;
    const typing = { timeType: this.#config.time_type, datesAsText: this.#config.zero_dates === 'keep_text', nullableDates: this.#config.zero_dates === 'null' };
    let connection: MysqlConnection | undefined;
    try {
      connection = await openConnection(this.#config, this.#ctx);
      return await describeTargetTable(connection, typing, { schema: database, name: target.name });
    } catch (error) {
      throw driverError(error, `describe ${database}.${target.name}`);
    } finally {
      if (connection) await closeConnection(connection);
    }
  }

  async readCheckpoint(sync: string, stream: string): Promise<Checkpoint | undefined> {
    const database = defaultDatabase(this.#config);
    if (database === undefined) return undefined;
    let connection: MysqlConnection | undefined;
    try {
      connection = await openConnection(this.#config, this.#ctx);
      return await readCheckpointRow(connection, database, sync, stream);
    } catch (error) {
      throw driverError(error, `read the checkpoint of ${stream}`, { stream });
    } finally {
      if (connection) await closeConnection(connection);
    }
  }

  /** Chunked `replace`: add the key, swap the built table in, commit the checkpoint (see publish-table.ts). */
  async publishTable(request: PublishTableRequest, checkpoint: Checkpoint, signal: AbortSignal): Promise<CommitResult> {
    if (signal.aborted) throw new CancelledError('cancelled before publishing', { stream: request.stream });
    const checkpointDatabase = checkpointDatabaseOf(this.#config, request.stream);
    const database = request.target.schema ?? checkpointDatabase;
    const connection = await openConnection(this.#config, this.#ctx);
    try {
      return await publishBuiltTable(connection, checkpointDatabase, request, { schema: request.from.schema ?? database, name: request.from.name }, { schema: database, name: request.target.name }, checkpoint);
    } catch (error) {
      throw driverError(error, `publish ${database}.${request.target.name}`, { stream: request.stream });
    } finally {
      await closeConnection(connection);
    }
  }

  /** One statement on a connection of its own (autocommit), closed afterwards. */
  async execute(sql: string, options?: ExecuteOptions): Promise<SqlResult> {
    const connection = await openConnection(this.#config, this.#ctx);
    try {
      const typing = { timeType: this.#config.time_type, datesAsText: this.#config.zero_dates === 'keep_text', nullableDates: this.#config.zero_dates === 'null' };
      return await executeSql(connection, sql, this.#config, typing, options);
    } finally {
      await closeConnection(connection);
    }
  }

  /** Abort writers still open (their staged rows are dropped). */
  async close(): Promise<void> {
    await Promise.all([...this.#writers].map((w) => w.abort().catch(() => undefined)));
  }
}
