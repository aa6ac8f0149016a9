import type { RowDataPacket } from 'mysql2/promise';
import type { Logger } from '../../core/connector.js';
import type { MysqlConnection } from './client.js';
import { STAGING_PREFIX, shortHash } from '../staging-name.js';
import { quoteTable } from './identifiers.js';

/**
 * Staging tables: `_ferry_stage_<hash of sync, stream, target>_<hash of run and writer>`
 * in the target database (unique per writer, so a retry never meets a leftover).
 *
 * A writer holds a named lock (GET_LOCK) named after its staging table for as
 * long as its session lives. A process killed with -9 loses its session, so
 * its lock; the next writer in that database finds staging tables whose lock
 * it can take and drops them as orphans. A live writer's table is never touched.
 */

/** Tables a replace moved aside, dropped right after the swap (or as orphans). */
export const OLD_PREFIX = '_ferry_old_';

/** The name the old target gets during a replace swap. */
export function oldName(staging: string): string {
  return `${OLD_PREFIX}${staging.slice(STAGING_PREFIX.length)}`;
}

/** Lock names are per server; the database keeps writers of two databases apart. */
function lockName(database: string, table: string): string {
  return `ferry:${shortHash(database, table)}`;
}

/** Take the staging table's lock on this session; false if another live writer holds it. */
export async function lockStaging(connection: MysqlConnection, database: string, name: string): Promise<boolean> {
  const [rows] = await connection.query<RowDataPacket[]>('SELECT GET_LOCK(?, 0) AS ok', [lockName(database, name)]);
  return Number(rows[0]?.['ok']) === 1;
}

async function unlockStaging(connection: MysqlConnection, database: string, name: string): Promise<void> {
  await connection.query('SELECT RELEASE_LOCK(?)', [lockName(database, name)]);
}

/** Drop staging (and moved-aside) tables in `database` left behind by writers that died. Returns the names dropped. */
export async function dropOrphanStaging(connection: MysqlConnection, database: string, own: string, logger: Logger): Promise<string[]> {
  const [rows] = await connection.query<RowDataPacket[]>(
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND (TABLE_NAME LIKE '\\_ferry\\_stage\\_%' OR TABLE_NAME LIKE '\\_ferry\\_old\\_%')",
    [database],
  );
  const dropped: string[] = [];
  for (const name of rows.map((r) => String(r['name']))) {
    if (name === own) continue;
    const owner = name.startsWith(OLD_PREFIX) ? `${STAGING_PREFIX}${name.slice(OLD_PREFIX.length)}` : name;
    if (!(await lockStaging(connection, database, owner))) continue;
    try {
      await connection.query(`DROP TABLE IF EXISTS ${quoteTable({ schema: database, name })}`);
      dropped.push(name);
    } catch (error) {
      logger.debug({ table: `${database}.${name}`, err: (error as Error).message }, 'could not drop orphan staging table');
    } finally {
      await unlockStaging(connection, database, owner);
    }
  }
  return dropped;
}
