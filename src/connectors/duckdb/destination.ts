import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Checkpoint } from '../../core/checkpoint.js';
import type { CommitResult, ConnectorContext, Destination, DestinationCapabilities, OpenRequest, PublishTableRequest, RawFormat, StreamWriter, TargetTable } from '../../core/connector.js';
import { CancelledError, FerryError, SchemaChangeError } from '../../core/errors.js';
import type { Column, StreamDescriptor, TableRef } from '../../core/schema.js';
import type { TypeFidelity } from '../../core/type-fidelity.js';
import { FerryColumns, frozenOut } from '../../core/ferry-columns.js';
import type { ChangeApplier, ChangeApplyOptions } from '../../core/change-capture.js';
import { DuckdbChangeApplier } from './change-applier.js';
import type { ExecuteOptions, SqlResult } from '../../core/sql-result.js';
import { executeSql } from './execute-sql.js';
import { createCheckpointTableSql, loadCheckpoint, saveCheckpoint } from './checkpoint-table.js';
import { duckdbDatabasePath, duckdbOptions, type DuckdbConfig } from './config.js';
import { acquireInstance, type InstanceLease } from './instance-cache.js';
import { createTableSql } from './publish-statements.js';
import { quoteIdentifier, stagingTableName, tableSql } from './sql-identifier.js';
import { takesPgBinary } from '../files/pg-binary-parts.js';
import { DuckdbStreamWriter } from './stream-writer.js';
import { duckdbTypeFidelity } from './type-fidelity.js';
import { describeTargetTable } from './target-table.js';

const CAPABILITIES: DestinationCapabilities = {
  writes: ['replace', 'append', 'truncate', 'merge', 'mirror'],
  transactional: true,
  rawFormats: ['pg-binary'],
  schemas: true,
  caseInsensitiveNames: true,
};

/** Writes streams into a DuckDB database: appender into staging, one transaction to publish. */
export class DuckdbDestination implements Destination {
  readonly capabilities = CAPABILITIES;
  readonly #config: DuckdbConfig;
  readonly #ctx: ConnectorContext;
  #lease: Promise<InstanceLease> | undefined;
  #conn: Promise<DuckDBConnection> | undefined;
  /** Publishes run one at a time: they share the checkpoints table and DuckDB's optimistic catalog. */
  #publishing: Promise<unknown> = Promise.resolve();

  constructor(config: DuckdbConfig, ctx: ConnectorContext) {
    this.#config = config;
    this.#ctx = ctx;
  }

  typeFidelity(column: Column): TypeFidelity {
    return duckdbTypeFidelity(column);
  }

  defaultTarget(stream: StreamDescriptor, schema?: string): TableRef {
    return { schema: schema ?? this.#config.schema, name: stream.table.name };
  }

  /** Postgres binary COPY when every column re-encodes into the staging table's types (stream-writer.ts). */
  rawFormatsFor(_target: TableRef, columns: readonly Column[]): readonly RawFormat[] {
    return takesPgBinary(columns) ? ['pg-binary'] : [];
  }

  async open(stream: OpenRequest, signal: AbortSignal): Promise<StreamWriter> {
    if (signal.aborted) throw new CancelledError('cancelled before the load started', { stream: stream.stream });
    const ferry = FerryColumns.of(stream);
    const { request } = ferry;
    const target: TableRef = { schema: request.target.schema ?? this.#config.schema, name: request.target.name };
    const staging: TableRef = { schema: target.schema, name: stagingTableName([request.sync, request.stream, tableSql(target, 'main')]) };
    const shared = await this.#connection();
    const existing = await this.#targetColumns(shared, target);
    const missing = existing ? request.columns.filter((c) => !existing.has(c.name.toLowerCase())) : [];
    const frozen = frozenOut(request, missing);
    if (existing && frozen.length > 0 && request.schemaChange === 'freeze') {
      throw new SchemaChangeError(`table ${target.schema}.${target.name} lacks columns ${frozen.map((c) => c.name).join(', ')}`, {
        stream: request.stream,
        connection: this.#ctx.connection,
        hint: 'the stream has schema_change: freeze; add the columns yourself or set schema_change: evolve',
      });
    }
    const conn = await (await this.#instance()).instance.connect();
    try {
      await conn.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(target.schema ?? 'main')}`);
      await this.#serialize(() => conn.run(createCheckpointTableSql(this.#config.schema)));
      await conn.run(`DROP TABLE IF EXISTS ${tableSql(staging, 'main')}`);
      for (const sql of createTableSql(staging, request.columns, { key: [], notNull: request.write === 'replace', ifNotExists: false })) await conn.run(sql);
      const appender = await conn.createAppender(staging.name, staging.schema);
      return ferry.wrap(new DuckdbStreamWriter({
        conn,
        appender,
        request,
        target,
        staging,
        missing,
        targetExists: existing !== undefined,
        checkpointSchema: this.#config.schema,
        serialize: (work) => this.#serialize(work),
        connectionName: this.#ctx.connection,
      }));
    } catch (error) {
      conn.closeSync();
      throw new FerryError(`preparing ${target.schema}.${target.name} failed: ${(error as Error).message}`, { stream: request.stream, connection: this.#ctx.connection, cause: error });
    }
  }

  async describeTarget(target: TableRef): Promise<TargetTable | undefined> {
    return describeTargetTable(await this.#connection(), target, this.#config.schema);
  }

  async readCheckpoint(sync: string, stream: string): Promise<Checkpoint | undefined> {
    // A database that does not exist yet holds no checkpoint; do not create it just to look (dry runs write nothing).
    const path = duckdbDatabasePath(this.#config, this.#ctx);
    if (!this.#conn && path !== ':memory:' && !existsSync(path)) return undefined;
    return loadCheckpoint(await this.#connection(), this.#config.schema, sync, stream);
  }

  /**
   * Chunked `replace`: the chunks were appended (each committed with its
   * checkpoint) to `request.from`; one transaction drops the old target,
   * renames the built table in and stores the final checkpoint. Like a plain
   * `replace` here, the table carries no primary key constraint.
   */
  async publishTable(request: PublishTableRequest, checkpoint: Checkpoint, signal: AbortSignal): Promise<CommitResult> {
    if (signal.aborted) throw new CancelledError('cancelled before publishing', { stream: request.stream });
    const schema = request.target.schema ?? this.#config.schema;
    const from: TableRef = { schema: request.from.schema ?? this.#config.schema, name: request.from.name };
    const target: TableRef = { schema, name: request.target.name };
    if (from.schema !== schema) throw new FerryError(`cannot publish ${from.schema}.${from.name} into another schema (${schema})`, { stream: request.stream });
    const conn = await this.#connection();
    const sql: string[] = [];
    const run = async (statement: string): Promise<void> => {
      sql.push(statement);
      await conn.run(statement);
    };
    const rows = await this.#serialize(async () => {
      if (!(await this.#targetColumns(conn, from))) {
        throw new FerryError(`the table ${schema}.${from.name} that the chunks were loaded into is gone; nothing was published`, {
          stream: request.stream,
          connection: this.#ctx.connection,
          hint: `run again with --full-refresh to reload ${schema}.${target.name} from the start`,
        });
      }
      await conn.run('BEGIN TRANSACTION');
      try {
        const counted = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${tableSql(from, 'main')}`)).getRows()[0]?.[0] ?? 0);
        await run(`DROP TABLE IF EXISTS ${tableSql(target, 'main')}`);
        await run(`ALTER TABLE ${tableSql(from, 'main')} RENAME TO ${quoteIdentifier(target.name)}`);
        sql.push(await saveCheckpoint(conn, this.#config.schema, checkpoint));
        await conn.run('COMMIT');
        return counted;
      } catch (error) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw new FerryError(`publishing ${schema}.${target.name} failed: ${(error as Error).message}`, { stream: request.stream, connection: this.#ctx.connection, cause: error });
      }
    });
    return { rows, sql };
  }

  async openChangeApplier(options: ChangeApplyOptions): Promise<ChangeApplier> {
    const conn = await (await this.#instance()).instance.connect();
    await this.#serialize(() => conn.run(createCheckpointTableSql(this.#config.schema)));
    return new DuckdbChangeApplier(conn, this.#config.schema, options, (work) => this.#serialize(work));
  }

  /**
   * One statement on the shared connection, serialized with publishes (they
   * share DuckDB's optimistic catalog). A database file that does not exist
   * yet is not created just to run it.
   */
  async execute(sql: string, options?: ExecuteOptions): Promise<SqlResult> {
    const path = duckdbDatabasePath(this.#config, this.#ctx);
    if (!this.#conn && path !== ':memory:' && !existsSync(path)) {
      throw new FerryError(`the DuckDB database ${path} does not exist yet`, { connection: this.#ctx.connection });
    }
    const conn = await this.#connection();
    try {
      return await this.#serialize(() => executeSql(conn, sql, options));
    } catch (error) {
      throw new FerryError(`the statement failed: ${(error as Error).message}`, { connection: this.#ctx.connection, cause: error });
    }
  }

  async close(): Promise<void> {
    const conn = this.#conn;
    const lease = this.#lease;
    this.#conn = undefined;
    this.#lease = undefined;
    if (conn) (await conn.catch(() => undefined))?.closeSync();
    if (lease) (await lease.catch(() => undefined))?.release();
  }

  #serialize<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#publishing.then(work, work);
    this.#publishing = next.catch(() => undefined);
    return next;
  }

  /** Lower-cased column names of the target (DuckDB names are case-insensitive), or undefined if it does not exist. */
  async #targetColumns(conn: DuckDBConnection, target: TableRef): Promise<Set<string> | undefined> {
    const reader = await conn.runAndReadAll(
      `SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND lower(schema_name) = lower($1) AND lower(table_name) = lower($2)`,
      [target.schema ?? this.#config.schema, target.name],
    );
    const names = reader.getRows().map((r) => String(r[0]).toLowerCase());
    return names.length > 0 ? new Set(names) : undefined;
  }

  #instance(): Promise<InstanceLease> {
    if (!this.#lease) {
      const path = duckdbDatabasePath(this.#config, this.#ctx);
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      this.#lease = acquireInstance(path, duckdbOptions(this.#config), this.#ctx.connection);
    }
    return this.#lease;
  }

  #connection(): Promise<DuckDBConnection> {
    this.#conn ??= this.#instance().then((lease) => lease.instance.connect());
    return this.#conn;
  }
}
