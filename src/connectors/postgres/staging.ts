import type pg from 'pg';
import type { Logger } from '../../core/connector.js';
import { STAGING_PREFIX } from '../staging-name.js';
import { quoteTable } from './identifiers.js';

/**
 * Staging tables: `_ferry_stage_<hash of sync, stream, target>_<hash of run and writer>`
 * in the target schema (unique per writer, so a retry never meets a leftover).
 *
 * A writer holds a session advisory lock named after its staging table for as
 * long as it lives. A process killed with -9 loses its session, so its lock;
 * the next writer in that schema finds staging tables whose lock it can take
 * and drops them as orphans. A live writer's table is never touched.
 */

/** First key of Ferry's advisory locks (the second is hashtext(staging name)). */
const LOCK_SPACE = 0x46525259; // "FRRY"

/** Take the staging table's lock on this session; false if another live writer holds it. */
export async function lockStaging(client: pg.ClientBase, name: string): Promise<boolean> {
  const result = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [LOCK_SPACE, name]);
  return result.rows[0]?.ok === true;
}

async function unlockStaging(client: pg.ClientBase, name: string): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_SPACE, name]);
}

/** Drop staging tables in `schema` left behind by writers that died. Returns the names dropped. */
export async function dropOrphanStaging(client: pg.ClientBase, schema: string, own: string, logger: Logger): Promise<string[]> {
  const result = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind = 'r' AND starts_with(c.relname, $2) AND c.relname <> $3`,
    [schema, STAGING_PREFIX, own],
  );
  const dropped: string[] = [];
  for (const { name } of result.rows) {
    if (!(await lockStaging(client, name))) continue;
    try {
      await client.query(`DROP TABLE IF EXISTS ${quoteTable({ schema, name })}`);
      dropped.push(name);
    } catch (error) {
      logger.debug({ table: `${schema}.${name}`, err: (error as Error).message }, 'could not drop orphan staging table');
    } finally {
      await unlockStaging(client, name);
    }
  }
  return dropped;
}
