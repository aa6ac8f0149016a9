import type pg from 'pg';
import type { Checkpoint } from '../../core/checkpoint.js';
import type { CommitResult, PublishTableRequest } from '../../core/connector.js';
import { DataError, FerryError } from '../../core/errors.js';
import { checkpointParams, upsertCheckpointSql } from './checkpoint-table.js';
import type { PostgresConfig } from './config.js';
import { driverError, errorCode } from './driver-error.js';
import { fitIdentifier } from './identifiers.js';
import { addPrimaryKeySql, countSql, dropTableSql, renameIndexSql, renameTableSql } from './publish-sql.js';

/**
 * Chunked `replace`: the chunks were appended (each committed with its
 * checkpoint) to a table that survives a crash; this swaps it in as the target
 * and stores the final checkpoint in the same transaction. The primary key is
 * built first, outside the transaction, so the target is locked only for the rename.
 */
export async function publishBuiltTable(
  client: pg.ClientBase,
  config: PostgresConfig,
  request: PublishTableRequest,
  checkpoint: Checkpoint,
): Promise<CommitResult> {
  const schema = request.target.schema ?? config.schema;
  const from = { schema: request.from.schema ?? config.schema, name: request.from.name };
  const target = { schema, name: request.target.name };
  if (from.schema !== schema) throw new FerryError(`cannot publish ${from.schema}.${from.name} into another schema (${schema})`, { stream: request.stream });
  const sql: string[] = [];
  const run = async (text: string, params?: unknown[]): Promise<pg.QueryResult> => {
    sql.push(text);
    return client.query(text, params);
  };
  // Each chunk's checkpoint recorded the rows it committed; a full count would read the whole table again.
  const rows = request.rows ?? Number((await run(countSql(from))).rows[0]?.n ?? 0);
  const built = fitIdentifier(`${from.name}_pkey`);
  if (request.primaryKey.length > 0) await addKey(client, run, { from, built, request });
  await run('BEGIN');
  try {
    await run(dropTableSql(target));
    await run(renameTableSql(from, target.name));
    if (request.primaryKey.length > 0) {
      const wanted = fitIdentifier(`${target.name}_pkey`);
      const taken = await client.query('SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2', [schema, wanted]);
      if (taken.rows.length === 0) await run(renameIndexSql(schema, built, wanted));
    }
    await run(upsertCheckpointSql(config.schema), checkpointParams(checkpoint));
    await run('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (errorCode(error) === '2BP01') {
      throw new FerryError(`cannot replace ${schema}.${target.name}: other objects (views) depend on it; the loaded chunks stay in ${from.name} for the next run`, {
        stream: request.stream,
        hint: 'use write: truncate (keeps the table and its views), or drop the dependent views',
        cause: error,
      });
    }
    throw driverError(error, `publish ${schema}.${target.name}`, { stream: request.stream });
  }
  return { rows, sql };
}

interface KeyTarget {
  readonly from: { readonly schema: string; readonly name: string };
  readonly built: string;
  readonly request: PublishTableRequest;
}

async function addKey(client: pg.ClientBase, run: (sql: string) => Promise<pg.QueryResult>, key: KeyTarget): Promise<void> {
  const exists = await client.query('SELECT 1 FROM pg_constraint WHERE conname = $1 AND conrelid = $2::regclass', [key.built, `"${key.from.schema.replaceAll('"', '""')}"."${key.from.name.replaceAll('"', '""')}"`]);
  if (exists.rows.length > 0) return;
  try {
    await run(addPrimaryKeySql(key.from, key.built, key.request.primaryKey));
  } catch (error) {
    if (errorCode(error) !== '23505') throw driverError(error, `add the primary key to ${key.from.name}`, { stream: key.request.stream });
    throw new DataError(`the rows for ${key.request.target.name} repeat primary key values (${key.request.primaryKey.join(', ')}); nothing was published`, {
      stream: key.request.stream,
      hint: 'check primary_key for this stream, or use write: merge to keep the last row per key',
      cause: error,
    });
  }
}
