import { createHash } from 'node:crypto';
import type { RowDataPacket } from 'mysql2/promise';
import type { Checkpoint } from '../../core/checkpoint.js';
import type { CommitResult, PublishTableRequest } from '../../core/connector.js';
import { DataError, FerryError } from '../../core/errors.js';
import { checkpointParams, upsertCheckpointSql } from './checkpoint-table.js';
import type { MysqlConnection } from './client.js';
import { driverError, ER_DUP_ENTRY, ER_MULTIPLE_PRI_KEY, errorNumber } from './driver-error.js';
import { quoteColumns, quoteLiteral, quoteTable } from './identifiers.js';
import { countSql, dropTableSql, swapTablesSql } from './publish-sql.js';
import { OLD_PREFIX } from './staging.js';
import type { QualifiedTable } from './target-catalog.js';

/** The table comment that marks a built table as the swapped-in result of one chunk plan. */
const MARK_PREFIX = 'ferry chunked replace, plan ';

/**
 * Chunked `replace` on MySQL: the chunks were appended (each committed with its
 * checkpoint) to `from`; this adds the primary key, swaps the table in with one
 * atomic RENAME and then commits the final checkpoint.
 *
 * RENAME is DDL and commits on its own, so the swap and the checkpoint cannot
 * share a transaction. Before the swap the built table gets a comment naming
 * the plan; it travels with the table, and is cleared only after the checkpoint
 * committed. A rerun after a crash in between finds no built table but a target
 * carrying this plan's mark: the swap happened, and only the checkpoint is left
 * to commit. Without the mark, a missing built table is an error, never a guess.
 */
export async function publishBuiltTable(
  connection: MysqlConnection,
  checkpointDatabase: string,
  request: PublishTableRequest,
  from: QualifiedTable,
  target: QualifiedTable,
  checkpoint: Checkpoint,
): Promise<CommitResult> {
  const sql: string[] = [];
  const run = async (text: string, params?: unknown[]): Promise<RowDataPacket[]> => {
    sql.push(text);
    const [rows] = await connection.query<RowDataPacket[]>(text, params);
    return rows;
  };
  const mark = `${MARK_PREFIX}${request.plan}`;
  if (from.schema !== target.schema) throw new FerryError(`cannot publish ${from.schema}.${from.name} into another database (${target.schema})`, { stream: request.stream });
  const built = await tableComment(connection, from);
  if (built === undefined) {
    if ((await tableComment(connection, target)) !== mark) {
      throw new FerryError(`the table ${from.schema}.${from.name} that the chunks were loaded into is gone; nothing was published`, {
        stream: request.stream,
        hint: `run again with --full-refresh to reload ${target.schema}.${target.name} from the start`,
      });
    }
  } else {
    if (request.primaryKey.length > 0) await addKey(run, from, request);
    await run(`ALTER TABLE ${quoteTable(from)} COMMENT = ${quoteLiteral(mark)}`);
    const old = (await tableComment(connection, target)) === undefined ? undefined : { schema: target.schema, name: oldTableName(request) };
    if (old) await run(dropTableSql(old));
    await run(swapTablesSql(target, from, old));
    if (old) await run(dropTableSql(old));
  }
  const rows = Number((await run(countSql(target)))[0]?.['n'] ?? 0);
  await run('START TRANSACTION');
  try {
    await run(upsertCheckpointSql(checkpointDatabase), checkpointParams(checkpoint));
    await run('COMMIT');
  } catch (error) {
    await connection.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  // The checkpoint holds the plan as finished: the mark has done its job.
  await run(`ALTER TABLE ${quoteTable(target)} COMMENT = ''`);
  return { rows, sql };
}

/** The table's comment ('' when it has none), or undefined when the table does not exist. */
async function tableComment(connection: MysqlConnection, table: QualifiedTable): Promise<string | undefined> {
  const [rows] = await connection.query<RowDataPacket[]>(
    'SELECT TABLE_NAME AS name, TABLE_COMMENT AS comment FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [table.schema, table.name],
  );
  const row = rows.find((r) => r['name'] === table.name);
  return row === undefined ? undefined : String(row['comment'] ?? '');
}

async function addKey(run: (text: string) => Promise<RowDataPacket[]>, from: QualifiedTable, request: PublishTableRequest): Promise<void> {
  try {
    await run(`ALTER TABLE ${quoteTable(from)} ADD PRIMARY KEY (${quoteColumns(request.primaryKey)})`);
  } catch (error) {
    // A rerun after a crash right after the key was added.
    if (errorNumber(error) === ER_MULTIPLE_PRI_KEY) return;
    if (errorNumber(error) !== ER_DUP_ENTRY) throw driverError(error, `add the primary key to ${from.name}`, { stream: request.stream });
    throw new DataError(`the rows for ${request.target.name} repeat primary key values (${request.primaryKey.join(', ')}); nothing was published`, {
      stream: request.stream,
      hint: 'check primary_key for this stream, or use write: merge to keep the last row per key',
      cause: error,
    });
  }
}

/** `_ferry_old_<hash>`: where the previous target waits during the swap (dropped right after, or as an orphan). */
function oldTableName(request: PublishTableRequest): string {
  return `${OLD_PREFIX}${createHash('sha256').update([request.sync, request.stream, request.plan].join('\0')).digest('hex').slice(0, 16)}`;
}
