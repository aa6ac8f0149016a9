import type pg from 'pg';
import type { CapturedTable } from '../../../core/change-capture.js';
import { ConfigError } from '../../../core/errors.js';
import { tableRefText } from '../../../core/schema.js';
import { quoteIdent, quoteLiteral, quoteTable } from '../identifiers.js';

/** Marks publications Ferry created, so `ferry cdc drop` never removes one a person made. */
export function publicationComment(sync: string): string {
  return `ferry sync ${sync}`;
}

interface TableRow {
  readonly oid: number;
  readonly identity: string;
  readonly has_pk: boolean;
  readonly pk: readonly string[] | null;
}

/**
 * Check each table can be captured: updates and deletes must carry the key.
 * With REPLICA IDENTITY DEFAULT that is the primary key, so the stream's key
 * must be it; a table without one needs REPLICA IDENTITY FULL.
 */
export async function checkReplicaIdentity(client: pg.ClientBase, tables: readonly CapturedTable[], defaultSchema: string): Promise<void> {
  for (const table of tables) {
    const ref = { schema: table.table.schema ?? defaultSchema, name: table.table.name };
    const result = await client.query<TableRow>(
      `SELECT c.oid::int AS oid, c.relreplident AS identity,
         (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM pg_constraint co
            CROSS JOIN LATERAL unnest(co.conkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum
          WHERE co.conrelid = c.oid AND co.contype = 'p') AS pk,
         EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conrelid = c.oid AND co.contype = 'p') AS has_pk
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
      [ref.schema, ref.name],
    );
    const row = result.rows[0];
    const name = tableRefText(ref);
    if (!row) throw new ConfigError(`mode cdc needs a table; ${name} is not one (views and queries have no change log)`, { stream: table.stream });
    if (table.primaryKey.length === 0) {
      throw new ConfigError(`mode cdc needs a key and ${name} has no primary key`, {
        stream: table.stream,
        hint: `add a primary key, or set primary_key on the stream and run: ALTER TABLE ${quoteTable(ref)} REPLICA IDENTITY FULL`,
      });
    }
    if (row.identity === 'f') continue;
    const pk = row.pk ?? [];
    const sameKey = pk.length === table.primaryKey.length && pk.every((c, i) => c === table.primaryKey[i]);
    if (row.identity !== 'd' || !row.has_pk || !sameKey) {
      throw new ConfigError(`${name}: updates and deletes would not carry the key ${table.primaryKey.join(', ')} (replica identity ${identityText(row.identity)}${row.has_pk ? `, primary key ${pk.join(', ')}` : ', no primary key'})`, {
        stream: table.stream,
        hint: `run ALTER TABLE ${quoteTable(ref)} REPLICA IDENTITY FULL, or use the table's primary key`,
      });
    }
  }
}

function identityText(code: string): string {
  return { d: 'default', f: 'full', i: 'index', n: 'nothing' }[code] ?? code;
}

/**
 * Create the publication for the tables, or add the missing ones to an existing
 * one (publications FOR ALL TABLES already cover everything). Changes made to
 * an added table before this point are not in the slot: such a table is
 * snapshotted afresh by the caller.
 */
export async function ensurePublication(client: pg.ClientBase, name: string, sync: string, tables: readonly CapturedTable[], defaultSchema: string): Promise<void> {
  const refs = tables.map((t) => ({ schema: t.table.schema ?? defaultSchema, name: t.table.name }));
  const existing = await client.query<{ all: boolean }>('SELECT puballtables AS all FROM pg_publication WHERE pubname = $1', [name]);
  const row = existing.rows[0];
  if (!row) {
    await client.query(`CREATE PUBLICATION ${quoteIdent(name)} FOR TABLE ${refs.map(quoteTable).join(', ')}`);
    await client.query(`COMMENT ON PUBLICATION ${quoteIdent(name)} IS ${quoteLiteral(publicationComment(sync))}`);
    return;
  }
  if (row.all) return;
  const present = await client.query<{ schema: string; name: string }>('SELECT schemaname AS schema, tablename AS name FROM pg_publication_tables WHERE pubname = $1', [name]);
  const have = new Set(present.rows.map((r) => `${r.schema}.${r.name}`));
  const missing = refs.filter((r) => !have.has(`${r.schema}.${r.name}`));
  if (missing.length > 0) await client.query(`ALTER PUBLICATION ${quoteIdent(name)} ADD TABLE ${missing.map(quoteTable).join(', ')}`);
}

/** Drop the publication when Ferry created it for this sync; true when dropped. */
export async function dropPublication(client: pg.ClientBase, name: string, sync: string): Promise<boolean> {
  const result = await client.query<{ comment: string | null }>(
    `SELECT obj_description(oid, 'pg_publication') AS comment FROM pg_publication WHERE pubname = $1`,
    [name],
  );
  const row = result.rows[0];
  if (!row || row.comment !== publicationComment(sync)) return false;
  await client.query(`DROP PUBLICATION ${quoteIdent(name)}`);
  return true;
}
