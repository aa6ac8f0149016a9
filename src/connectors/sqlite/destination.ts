import { existsSync } from 'node:fs';
import type { Checkpoint } from '../../core/checkpoint.js';
import type { CommitResult, ConnectorContext, Destination, DestinationCapabilities, OpenRequest, PublishTableRequest, StreamWriter, TargetTable } from '../../core/connector.js';
import type { Column, StreamDescriptor, TableRef } from '../../core/schema.js';
import type { TypeFidelity } from '../../core/type-fidelity.js';
import { FerryColumns, frozenOut } from '../../core/ferry-columns.js';
import { CancelledError, FerryError, SchemaChangeError } from '../../core/errors.js';
import type { ChangeApplier, ChangeApplyOptions } from '../../core/change-capture.js';
import { SqliteChangeApplier } from './change-applier.js';
import type { ExecuteOptions, SqlResult } from '../../core/sql-result.js';
import { executeSql } from './execute-sql.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint-table.js';
import { sqliteDatabasePath, type SqliteConfig } from './config.js';
import { openDatabase, wrapSqliteError } from './database.js';
import { createStagingSql, createTableSql } from './publish-statements.js';
import { quoteIdentifier, stagingTableName } from './sql-identifier.js';
import { SqliteStreamWriter } from './stream-writer.js';
import { sqliteTypeFidelity } from './type-fidelity.js';
import { describeTargetTable } from './target-table.js';
import { WriteConnection } from './write-connection.js';

const CAPABILITIES: DestinationCapabilities = {
  writes: ['replace', 'append', 'truncate', 'merge', 'mirror'],
  transactional: true,
  rawFormats: [],
  schemas: false,
  caseInsensitiveNames: true,
};

/** Writes streams into tables of one SQLite file (created on first write, WAL mode). */
export class SqliteDestination implements Destination {
  readonly capabilities = CAPABILITIES;
  readonly #config: SqliteConfig;
  readonly #ctx: ConnectorContext;
  #connection: WriteConnection | undefined;

  constructor(config: SqliteConfig, ctx: ConnectorContext) {
    this.#config = config;
    this.#ctx = ctx;
  }

  typeFidelity(column: Column): TypeFidelity {
    return sqliteTypeFidelity(column);
  }

  /** SQLite has no schemas: `orders`, or `sales_orders` when the stream came from schema `sales`. */
  defaultTarget(stream: StreamDescriptor, schema?: string): TableRef {
    return { name: schema ? `${schema}_${stream.table.name}` : stream.table.name };
  }

  async open(stream: OpenRequest, signal: AbortSignal): Promise<StreamWriter> {
    if (signal.aborted) throw new CancelledError('cancelled before the load started', { stream: stream.stream });
    const ferry = FerryColumns.of(stream);
    const { request } = ferry;
    const connection = this.#writeConnection();
    const { db } = connection;
    const staging = stagingTableName([request.sync, request.stream, request.target.name]);
    try {
      const existing = this.#targetColumns(request.target.name);
      const missing = existing ? request.columns.filter((c) => !existing.has(c.name.toLowerCase())) : [];
      const frozen = frozenOut(request, missing);
      if (existing && frozen.length > 0 && request.schemaChange === 'freeze') {
        throw new SchemaChangeError(`table ${request.target.name} lacks columns ${frozen.map((c) => c.name).join(', ')}`, {
          stream: request.stream,
          connection: this.#ctx.connection,
          hint: 'the stream has schema_change: freeze; add the columns yourself or set schema_change: evolve',
        });
      }
      db.exec(`DROP TABLE IF EXISTS ${quoteIdentifier(staging)}`);
      db.exec(request.write === 'replace' ? createTableSql(staging, request.columns, [], false) : createStagingSql(staging, request.columns));
      return ferry.wrap(new SqliteStreamWriter({ connection, request, staging, missing, targetExists: existing !== undefined, connectionName: this.#ctx.connection }));
    } catch (error) {
      throw wrapSqliteError(error, `preparing ${request.target.name} failed`, { stream: request.stream, connection: this.#ctx.connection });
    }
  }

  async describeTarget(target: TableRef): Promise<TargetTable | undefined> {
    const path = sqliteDatabasePath(this.#config, this.#ctx);
    // A database that does not exist yet has no tables; do not create it just to look.
    if (!this.#connection && path !== ':memory:' && !existsSync(path)) return undefined;
    return describeTargetTable(this.#writeConnection().db, target.name);
  }

  async readCheckpoint(sync: string, stream: string): Promise<Checkpoint | undefined> {
    // A database that does not exist yet holds no checkpoint; do not create it just to look (dry runs write nothing).
    const path = sqliteDatabasePath(this.#config, this.#ctx);
    if (!this.#connection && path !== ':memory:' && !existsSync(path)) return undefined;
    return loadCheckpoint(this.#writeConnection().db, sync, stream);
  }

  /**
   * Chunked `replace`: the chunks were appended (each committed with its
   * checkpoint) to `request.from`; one IMMEDIATE transaction drops the old
   * target, renames the built table in and stores the final checkpoint. Like a
   * plain `replace` here, the table carries no primary key constraint.
   */
  async publishTable(request: PublishTableRequest, checkpoint: Checkpoint, signal: AbortSignal): Promise<CommitResult> {
    if (signal.aborted) throw new CancelledError('cancelled before publishing', { stream: request.stream });
    const connection = this.#writeConnection();
    const { db } = connection;
    const from = quoteIdentifier(request.from.name);
    const sql: string[] = [];
    const run = (statement: string): void => {
      sql.push(statement);
      db.exec(statement);
    };
    try {
      const rows = connection.publish(() => {
        const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(request.from.name);
        if (!exists) {
          throw new FerryError(`the table ${request.from.name} that the chunks were loaded into is gone; nothing was published`, {
            stream: request.stream,
            connection: this.#ctx.connection,
            hint: `run again with --full-refresh to reload ${request.target.name} from the start`,
          });
        }
        const counted = Number(db.prepare(`SELECT count(*) FROM ${from}`).pluck().get());
        run(`DROP TABLE IF EXISTS ${quoteIdentifier(request.target.name)}`);
        run(`ALTER TABLE ${from} RENAME TO ${quoteIdentifier(request.target.name)}`);
        saveCheckpoint(db, checkpoint);
        return counted;
      });
      return { rows, sql };
    } catch (error) {
      if (error instanceof FerryError) throw error;
      throw wrapSqliteError(error, `publishing ${request.target.name} failed`, { stream: request.stream, connection: this.#ctx.connection });
    }
  }

  async openChangeApplier(options: ChangeApplyOptions): Promise<ChangeApplier> {
    return new SqliteChangeApplier(this.#writeConnection(), options, this.#ctx.connection);
  }

  /**
   * One statement (or script) in autocommit, after rows staged by other
   * streams are flushed (writers share this connection). A database file
   * that does not exist yet is not created just to run it.
   */
  async execute(sql: string, options?: ExecuteOptions): Promise<SqlResult> {
    const path = sqliteDatabasePath(this.#config, this.#ctx);
    if (!this.#connection && path !== ':memory:' && !existsSync(path)) {
      throw new FerryError(`the SQLite database ${path} does not exist yet`, { connection: this.#ctx.connection });
    }
    const connection = this.#writeConnection();
    try {
      // Rows other streams staged are committed first; the hook then runs in autocommit, so VACUUM works.
      connection.flush();
      return executeSql(connection.db, sql, options);
    } catch (error) {
      throw wrapSqliteError(error, 'the statement failed', { connection: this.#ctx.connection });
    }
  }

  async close(): Promise<void> {
    this.#connection?.close();
    this.#connection = undefined;
  }

  /** Lower-cased column names of the target (SQLite names are case-insensitive), or undefined if it does not exist. */
  #targetColumns(table: string): Set<string> | undefined {
    const { db } = this.#writeConnection();
    const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE`).get(table);
    if (!exists) return undefined;
    const names = db.prepare('SELECT name FROM pragma_table_xinfo(?)').pluck().all(table) as string[];
    return new Set(names.map((n) => n.toLowerCase()));
  }

  #writeConnection(): WriteConnection {
    this.#connection ??= new WriteConnection(
      openDatabase({ path: sqliteDatabasePath(this.#config, this.#ctx), busyTimeoutMs: this.#config.busy_timeout_ms, connection: this.#ctx.connection, create: true }),
    );
    return this.#connection;
  }
}
