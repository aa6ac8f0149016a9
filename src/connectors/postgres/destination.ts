import type pg from 'pg';
import type { Checkpoint } from '../../core/checkpoint.js';
import type { ChangeApplier, ChangeApplyOptions } from '../../core/change-capture.js';
import type { CommitResult, ConnectorContext, Destination, DestinationCapabilities, OpenRequest, PublishTableRequest, StreamWriter, TargetTable } from '../../core/connector.js';
import { CancelledError } from '../../core/errors.js';
import type { Column, StreamDescriptor, TableRef } from '../../core/schema.js';
import type { TypeFidelity } from '../../core/type-fidelity.js';
import { FerryColumns } from '../../core/ferry-columns.js';
import { PostgresChangeApplier } from './cdc/postgres-change-applier.js';
import type { ExecuteOptions, SqlResult } from '../../core/sql-result.js';
import { executeSql } from './execute-sql.js';
import { readCheckpointRow } from './checkpoint-table.js';
import { openClient, openPool, openWriterSession, withPooledClient } from './client.js';
import type { PostgresConfig } from './config.js';
import { driverError } from './driver-error.js';
import { PostgresDirectWriter } from './direct-writer.js';
import { publishBuiltTable } from './publish-table.js';
import { PostgresStreamWriter } from './stream-writer.js';
import { postgresTypeFidelity } from './type-fidelity.js';
import { describeTargetTable } from './target-table.js';
import { prepareWriter } from './writer-setup.js';

const CAPABILITIES: DestinationCapabilities = Object.freeze({
  writes: Object.freeze(['replace', 'append', 'truncate', 'merge', 'mirror'] as const),
  transactional: true,
  rawFormats: Object.freeze(['pg-binary', 'pg-copy-data', 'pg-csv'] as const),
  schemas: true,
  directAppend: true,
  parallelWriters: true,
});

/**
 * Sessions the pool keeps at most: catalog and checkpoint queries, plus those a
 * writer adopted (openWriterSession) until it ends them; room for every writer of
 * parallel chunks, so their catalog queries never wait for another writer to finish.
 */
const POOL_MAX = 34;

/**
 * Loads streams into Postgres: one dedicated connection per writer, rows
 * staged with COPY, published in one transaction together with the stream's
 * checkpoint (`<schema>._ferry_checkpoints`).
 */
export class PostgresDestination implements Destination {
  readonly capabilities = CAPABILITIES;
  readonly #config: PostgresConfig;
  readonly #ctx: ConnectorContext;
  readonly #pool: pg.Pool;
  readonly #writers = new Set<StreamWriter>();

  constructor(config: PostgresConfig, ctx: ConnectorContext) {
    this.#config = config;
    this.#ctx = ctx;
    this.#pool = openPool(config, ctx, POOL_MAX);
  }

  typeFidelity(column: Column): TypeFidelity {
    return postgresTypeFidelity(column);
  }

  defaultTarget(stream: StreamDescriptor, schema?: string): TableRef {
    return { schema: schema ?? this.#config.schema, name: stream.table.name };
  }

  async open(request: OpenRequest, signal: AbortSignal): Promise<StreamWriter> {
    if (signal.aborted) throw new CancelledError('cancelled before opening the writer', { stream: request.stream });
    const ferry = FerryColumns.of(request);
    const session = await openWriterSession(this.#pool, this.#config, this.#ctx);
    const { client } = session;
    const onClose = (writer: StreamWriter, broken: boolean): void => {
      this.#writers.delete(writer);
      session.close(broken);
    };
    try {
      if (request.direct === true && request.write === 'append') {
        const direct = await PostgresDirectWriter.open(client, ferry.request, this.#config, this.#ctx, onClose);
        this.#writers.add(direct);
        return ferry.wrap(direct);
      }
      const setup = await prepareWriter(client, ferry.request, this.#config, this.#ctx);
      const writer = new PostgresStreamWriter(setup, onClose);
      this.#writers.add(writer);
      return ferry.wrap(writer);
    } catch (error) {
      session.close(true);
      throw driverError(error, `prepare ${request.target.schema ?? this.#config.schema}.${request.target.name}`, { stream: request.stream });
    }
  }

  describeTarget(target: TableRef): Promise<TargetTable | undefined> {
    const table = { schema: target.schema ?? this.#config.schema, name: target.name };
    return withPooledClient(this.#pool, this.#config, this.#ctx, async (client) => {
      try {
        return await describeTargetTable(client, table);
      } catch (error) {
        throw driverError(error, `describe ${table.schema}.${table.name}`);
      }
    });
  }

  readCheckpoint(sync: string, stream: string): Promise<Checkpoint | undefined> {
    return withPooledClient(this.#pool, this.#config, this.#ctx, async (client) => {
      try {
        return await readCheckpointRow(client, this.#config.schema, sync, stream);
      } catch (error) {
        throw driverError(error, `read the checkpoint of ${stream}`, { stream });
      }
    });
  }

  openChangeApplier(options: ChangeApplyOptions): Promise<ChangeApplier> {
    return PostgresChangeApplier.open(this.#config, this.#ctx, options);
  }

  async publishTable(request: PublishTableRequest, checkpoint: Checkpoint, signal: AbortSignal): Promise<CommitResult> {
    if (signal.aborted) throw new CancelledError('cancelled before publishing', { stream: request.stream });
    const client = await openClient(this.#config, this.#ctx);
    try {
      return await publishBuiltTable(client, this.#config, request, checkpoint);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** One statement on a pooled connection, in its own implicit transaction. */
  execute(sql: string, options?: ExecuteOptions): Promise<SqlResult> {
    return withPooledClient(this.#pool, this.#config, this.#ctx, (client) => executeSql(client, sql, options));
  }

  async connect(): Promise<void> {
    await withPooledClient(this.#pool, this.#config, this.#ctx, async () => undefined);
  }

  /** Abort writers still open (their staged rows are dropped), then close the pool. */
  async close(): Promise<void> {
    await Promise.all([...this.#writers].map((w) => w.abort().catch(() => undefined)));
    await this.#pool.end();
  }
}
