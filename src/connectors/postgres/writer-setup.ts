import type pg from 'pg';
import type { ConnectorContext, OpenRequest } from '../../core/connector.js';
import { ConfigError, SchemaChangeError } from '../../core/errors.js';
import { frozenOut } from '../../core/ferry-columns.js';
import type { Column, TableRef } from '../../core/schema.js';
import { createCheckpointTableSql, CHECKPOINT_TABLE } from './checkpoint-table.js';
import type { PostgresConfig } from './config.js';
import { quoteIdent } from './identifiers.js';
import { createTableSql, ORDER_COLUMN } from './publish-sql.js';
import { stagingName } from '../staging-name.js';
import { dropOrphanStaging, lockStaging } from './staging.js';
import { builtinTypeNames, findTarget, relationExists, schemaExists, type ExistingTarget } from './target-catalog.js';
import { ddlTypeOf, isNativeColumn } from './type-map.js';

export type QualifiedTable = TableRef & { readonly schema: string };

/** Everything a writer needs, decided at open. */
export interface WriterSetup {
  readonly request: OpenRequest;
  readonly config: PostgresConfig;
  readonly ctx: ConnectorContext;
  readonly client: pg.Client;
  readonly target: QualifiedTable;
  readonly staging: QualifiedTable;
  /** The target as it is now; undefined when it does not exist yet. */
  readonly existing: ExistingTarget | undefined;
  /** DDL type per request column. */
  readonly types: readonly string[];
  /** Columns the existing target lacks (added at commit: the policy is `evolve`). */
  readonly missing: readonly Column[];
  /** Every column has a built-in Postgres type: staging is type-identical to the source, binary COPY can pass through. */
  readonly native: boolean;
}

function validate(request: OpenRequest, target: QualifiedTable): void {
  const where = { stream: request.stream };
  const names = request.columns.map((c) => c.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) throw new ConfigError(`column "${duplicate}" appears twice in ${target.schema}.${target.name}`, where);
  if (request.write !== 'merge' && request.write !== 'mirror') return;
  if (request.primaryKey.length === 0) {
    throw new ConfigError(`write: ${request.write} into ${target.schema}.${target.name} needs a primary key`, { ...where, hint: 'set primary_key: [col, ...] on the stream' });
  }
  for (const key of [...request.primaryKey, ...(request.cursorColumn !== undefined ? [request.cursorColumn] : [])]) {
    if (!names.includes(key)) throw new ConfigError(`key or cursor column "${key}" is not among the stream's columns`, { ...where, hint: `columns: ${names.join(', ')}` });
  }
  if (names.includes(ORDER_COLUMN)) throw new ConfigError(`column name "${ORDER_COLUMN}" is reserved for merge staging`, where);
}

/** One round trip: do the schemas and the checkpoint table exist already (the usual case after the first run)? */
async function schemasReady(client: pg.ClientBase, schemas: readonly string[], checkpointSchema: string): Promise<boolean> {
  const result = await client.query<{ ready: boolean }>(
    'SELECT (SELECT count(*) FROM pg_namespace WHERE nspname = ANY($1::text[])) = cardinality($1::text[]) ' +
      'AND EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $2 AND c.relname = $3) AS ready',
    [[...new Set(schemas)], checkpointSchema, CHECKPOINT_TABLE],
  );
  return result.rows[0]?.ready === true;
}

/** Schemas and the checkpoint table, created once under a lock so parallel writers do not race. */
async function ensureSchemas(client: pg.ClientBase, schemas: readonly string[], checkpointSchema: string): Promise<void> {
  // Nothing to create: skip the locked transaction (four round trips).
  if (await schemasReady(client, schemas, checkpointSchema)) return;
  await client.query('BEGIN');
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('ferry ddl'))");
    for (const schema of new Set(schemas)) {
      if (!(await schemaExists(client, schema))) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    }
    if (!(await relationExists(client, { schema: checkpointSchema, name: CHECKPOINT_TABLE }))) {
      await client.query(createCheckpointTableSql(checkpointSchema));
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

function checkTarget(request: OpenRequest, target: QualifiedTable, existing: ExistingTarget | undefined): Column[] {
  if (!existing) return [];
  const label = `${target.schema}.${target.name}`;
  if (existing.kind !== 'r' && existing.kind !== 'p') {
    throw new ConfigError(`target ${label} exists and is not a table (relkind ${existing.kind})`, {
      stream: request.stream,
      hint: 'choose another target, or drop the view/materialized view',
    });
  }
  const have = new Set(existing.columns.map((c) => c.name));
  const missing = request.columns.filter((c) => !have.has(c.name));
  const frozen = frozenOut(request, missing);
  if (frozen.length > 0 && request.schemaChange === 'freeze') {
    throw new SchemaChangeError(
      `the source has new column(s) ${frozen.map((c) => `"${c.name}"`).join(', ')} that target ${label} lacks, and schema_change is freeze`,
      { stream: request.stream, key: 'schema_change', hint: 'set schema_change: evolve on the stream to add them, or add them to the target yourself' },
    );
  }
  return missing;
}

/**
 * Open-time work for one writer on its dedicated client: validate, create
 * schemas, inspect the target (schema change policy), drop orphaned staging
 * tables and create this writer's staging table (locked for its lifetime).
 */
export async function prepareWriter(client: pg.Client, request: OpenRequest, config: PostgresConfig, ctx: ConnectorContext): Promise<WriterSetup> {
  const target: QualifiedTable = { schema: request.target.schema ?? config.schema, name: request.target.name };
  validate(request, target);
  await ensureSchemas(client, [target.schema, config.schema], config.schema);
  const existing = await findTarget(client, target);
  const missing = checkTarget(request, target, existing);
  const builtin = await builtinTypeNames(client, request.columns.flatMap((c) => (c.sourceType !== undefined && c.sourceEngine === 'postgres' ? [c.sourceType] : [])));
  const types = request.columns.map((c) => ddlTypeOf(c, builtin));
  const staging: QualifiedTable = {
    schema: target.schema,
    name: stagingName({ sync: request.sync, stream: request.stream, target: `${target.schema}.${target.name}`, runId: request.runId }),
  };
  if (!(await lockStaging(client, staging.name))) throw new ConfigError(`staging table ${staging.name} is in use by another writer`, { stream: request.stream });
  const orphans = await dropOrphanStaging(client, target.schema, staging.name, ctx.logger);
  if (orphans.length > 0) ctx.logger.info({ schema: target.schema, tables: orphans }, 'dropped staging tables left by interrupted runs');
  await client.query(
    // Only `replace` turns its staging table into the target; the others copy rows out of it, so it needs no WAL.
    createTableSql(staging, {
      columns: request.columns,
      types,
      notNull: request.write === 'replace',
      loadOrder: request.write === 'merge' || request.write === 'mirror',
      unlogged: request.write !== 'replace',
    }),
  );
  const native = request.columns.every((c) => isNativeColumn(c, builtin));
  return { request, config, ctx, client, target, staging, existing, types, missing, native };
}
