import type { ConnectorContext, OpenRequest } from '../../core/connector.js';
import { ConfigError, SchemaChangeError } from '../../core/errors.js';
import type { Column } from '../../core/schema.js';
import { createCheckpointTableSql } from './checkpoint-table.js';
import type { MysqlConnection } from './client.js';
import { defaultDatabase, type MysqlConfig } from './config.js';
import { ddlOf, type ColumnDdl } from './ddl-type.js';
import { quoteIdent } from './identifiers.js';
import { InsertStager } from './insert-stager.js';
import { LoadDataStager, loadDataSql } from './load-data.js';
import { createTableSql, dropTableSql, ORDER_COLUMN } from './publish-sql.js';
import { serverMessage } from './driver-error.js';
import { readFlavor, type ServerFlavor } from './server-flavor.js';
import type { Stager } from './stager.js';
import { stagingName } from '../staging-name.js';
import { dropOrphanStaging, lockStaging } from './staging.js';
import { databaseExists, findTarget, type ExistingTarget, type QualifiedTable } from './target-catalog.js';
import { valueTextFor, type ValueText } from './write-value.js';

/** Everything a writer needs, decided at open. */
export interface WriterSetup {
  readonly request: OpenRequest;
  readonly config: MysqlConfig;
  readonly ctx: ConnectorContext;
  readonly connection: MysqlConnection;
  readonly flavor: ServerFlavor;
  readonly target: QualifiedTable;
  readonly staging: QualifiedTable;
  /** Where `_ferry_checkpoints` lives: the connection's database. */
  readonly checkpointDatabase: string;
  /** The target as it is now; undefined when it does not exist yet. */
  readonly existing: ExistingTarget | undefined;
  /** DDL per request column. */
  readonly ddls: readonly ColumnDdl[];
  /** Text form per request column, for its staging column's type. */
  readonly texts: readonly ValueText[];
  /** Columns the existing target lacks (added at commit: the policy is `evolve`). */
  readonly missing: readonly Column[];
  /** LOAD DATA LOCAL (true) or multi-row INSERTs (false). */
  readonly loadData: boolean;
}

function validate(request: OpenRequest, label: string): void {
  const where = { stream: request.stream };
  const names = request.columns.map((c) => c.name);
  if (names.length === 0) throw new ConfigError(`${label}: MySQL tables need at least one column`, where);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) throw new ConfigError(`column "${duplicate}" appears twice in ${label}`, where);
  const lower = names.map((n) => n.toLowerCase());
  const clash = names.find((n, i) => lower.indexOf(n.toLowerCase()) !== i);
  if (clash !== undefined) throw new ConfigError(`columns of ${label} differ only by case ("${clash}"); MySQL column names are case-insensitive`, where);
  if (names.includes(ORDER_COLUMN)) throw new ConfigError(`column name "${ORDER_COLUMN}" is reserved for merge staging`, where);
  if (request.write !== 'merge' && request.write !== 'mirror') return;
  if (request.primaryKey.length === 0) {
    throw new ConfigError(`write: ${request.write} into ${label} needs a primary key`, { ...where, hint: 'set primary_key: [col, ...] on the stream' });
  }
  for (const key of [...request.primaryKey, ...(request.cursorColumn !== undefined ? [request.cursorColumn] : [])]) {
    if (!names.includes(key)) throw new ConfigError(`key or cursor column "${key}" is not among the stream's columns`, { ...where, hint: `columns: ${names.join(', ')}` });
  }
}

function checkTarget(request: OpenRequest, label: string, existing: ExistingTarget | undefined): Column[] {
  if (!existing) return [];
  if (existing.kind !== 'BASE TABLE') {
    throw new ConfigError(`target ${label} exists and is not a table (${existing.kind})`, { stream: request.stream, hint: 'choose another target, or drop the view' });
  }
  const have = new Set(existing.columns.map((c) => c.toLowerCase()));
  const missing = request.columns.filter((c) => !have.has(c.name.toLowerCase()));
  if (missing.length > 0 && request.schemaChange === 'freeze' && request.write !== 'replace') {
    throw new SchemaChangeError(
      `the source has new column(s) ${missing.map((c) => `"${c.name}"`).join(', ')} that target ${label} lacks, and schema_change is freeze`,
      { stream: request.stream, key: 'schema_change', hint: 'set schema_change: evolve on the stream to add them, or add them to the target yourself' },
    );
  }
  return missing;
}

async function ensureDatabases(connection: MysqlConnection, databases: readonly string[], checkpointDatabase: string, collation: string): Promise<void> {
  for (const database of new Set(databases)) {
    if (!(await databaseExists(connection, database))) await connection.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdent(database)} CHARACTER SET utf8mb4`);
  }
  await connection.query(createCheckpointTableSql(checkpointDatabase, collation));
}

/** The database a writer's checkpoints live in: required, since MySQL has no default schema. */
export function checkpointDatabaseOf(config: MysqlConfig, stream: string): string {
  const database = defaultDatabase(config);
  if (database === undefined) throw new ConfigError('a mysql destination needs `database` (or a database in the url)', { stream, key: 'database' });
  return database;
}

/**
 * Open-time work for one writer on its dedicated connection: validate, create
 * databases and the checkpoint table, inspect the target (schema change
 * policy), drop orphaned staging tables and create this writer's staging
 * table (locked for its lifetime).
 */
export async function prepareWriter(connection: MysqlConnection, request: OpenRequest, config: MysqlConfig, ctx: ConnectorContext): Promise<WriterSetup> {
  const checkpointDatabase = checkpointDatabaseOf(config, request.stream);
  const target: QualifiedTable = { schema: request.target.schema ?? checkpointDatabase, name: request.target.name };
  const label = `${target.schema}.${target.name}`;
  validate(request, label);
  const flavor = await readFlavor(connection);
  if (config.bulk_load === 'load_data' && !flavor.localInfile) {
    throw new ConfigError('bulk_load: load_data needs local_infile=ON on the server', { stream: request.stream, key: 'bulk_load', hint: 'SET GLOBAL local_infile = ON, or use bulk_load: auto' });
  }
  await ensureDatabases(connection, [target.schema, checkpointDatabase], checkpointDatabase, flavor.collation);
  const existing = await findTarget(connection, target);
  const missing = checkTarget(request, label, existing);
  const keyed = new Set(request.write === 'merge' || request.write === 'mirror' || request.write === 'replace' ? request.primaryKey : []);
  const ddls = request.columns.map((c) => ddlOf(c, flavor, keyed.has(c.name)));
  // Values land in staging first, so they are written for the staging column's type.
  const texts = request.columns.map((c, i) => valueTextFor(c, ddls[i]?.type ?? ''));
  const staging: QualifiedTable = { schema: target.schema, name: stagingName({ sync: request.sync, stream: request.stream, target: label, runId: request.runId }) };
  if (!(await lockStaging(connection, target.schema, staging.name))) throw new ConfigError(`staging table ${staging.name} is in use by another writer`, { stream: request.stream });
  const orphans = await dropOrphanStaging(connection, target.schema, staging.name, ctx.logger);
  if (orphans.length > 0) ctx.logger.info({ database: target.schema, tables: orphans }, 'dropped staging tables left by interrupted runs');
  const replaceKey = request.write === 'replace' && request.primaryKey.length > 0 ? { primaryKey: request.primaryKey } : {};
  await connection.query(
    createTableSql(staging, { columns: request.columns, ddls, notNull: request.write === 'replace', loadOrder: request.write === 'merge' || request.write === 'mirror', collation: flavor.collation, ...replaceKey }),
  );
  const loadData = config.bulk_load !== 'insert' && flavor.localInfile && (await loadDataWorks(connection, staging, request, config, ctx));
  return { request, config, ctx, connection, flavor, target, staging, checkpointDatabase, existing, ddls, texts, missing, loadData };
}

/**
 * local_infile=ON is not the whole story (a proxy, a client-side block or a
 * server built without it still refuse): load an empty stream once. With
 * `bulk_load: auto` a refusal means multi-row INSERTs; with `load_data` it is
 * the writer's error.
 */
async function loadDataWorks(connection: MysqlConnection, staging: QualifiedTable, request: OpenRequest, config: MysqlConfig, ctx: ConnectorContext): Promise<boolean> {
  const probe = new LoadDataStager(connection, loadDataSql(staging, request.columns.map((c) => c.name)));
  try {
    await probe.finish();
    return true;
  } catch (error) {
    if (config.bulk_load === 'load_data') {
      await connection.query(dropTableSql(staging)).catch(() => undefined);
      throw new ConfigError(`bulk_load: load_data, but the server refused LOAD DATA LOCAL: ${serverMessage(error)}`, {
        stream: request.stream,
        key: 'bulk_load',
        hint: 'allow local_infile on the server (and any proxy), or use bulk_load: auto',
        cause: error,
      });
    }
    ctx.logger.info({ stream: request.stream, err: error instanceof Error ? error.message : String(error) }, 'LOAD DATA LOCAL refused; staging with multi-row INSERTs');
    return false;
  }
}

/** The stager that fills this writer's staging table. */
export function openStager(setup: WriterSetup): Stager {
  const names = setup.request.columns.map((c) => c.name);
  if (setup.loadData) return new LoadDataStager(setup.connection, loadDataSql(setup.staging, names));
  return new InsertStager(setup.connection, setup.staging, names, setup.flavor.maxPacket);
}
