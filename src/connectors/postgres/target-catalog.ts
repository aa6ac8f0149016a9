import type pg from 'pg';
import type { TableRef } from '../../core/schema.js';

/**
 * What the destination database already has: the target table (if any), its
 * columns and unique keys, and which native type names are built in.
 */

export interface ExistingTarget {
  /** pg_class.relkind: `r` table, `p` partitioned table, `v` view, ... */
  readonly kind: string;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  /** Column sets of non-partial, immediate unique indexes (ON CONFLICT arbiters). */
  readonly uniqueKeys: readonly (readonly string[])[];
}

const TARGET_SQL = `
SELECT c.relkind::text AS kind,
  coalesce((SELECT json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum)
    FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]') AS columns,
  coalesce((SELECT json_agg(u.cols) FROM (
    SELECT array_agg(a.attname::text) AS cols FROM pg_index i
    CROSS JOIN LATERAL unnest(i.indkey::int2[]) AS k(attnum)
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
    WHERE i.indrelid = c.oid AND i.indisunique AND i.indimmediate AND i.indpred IS NULL AND i.indexprs IS NULL
    GROUP BY i.indexrelid) u), '[]') AS unique_keys
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2`;

export async function findTarget(client: pg.ClientBase, target: TableRef & { schema: string }): Promise<ExistingTarget | undefined> {
  const result = await client.query<{ kind: string; columns: ExistingTarget['columns']; unique_keys: string[][] }>(TARGET_SQL, [
    target.schema,
    target.name,
  ]);
  const row = result.rows[0];
  return row ? { kind: row.kind, columns: row.columns, uniqueKeys: row.unique_keys } : undefined;
}

/** True when some unique key of the target is exactly the given column set. */
export function hasUniqueKey(target: ExistingTarget, key: readonly string[]): boolean {
  const wanted = [...key].sort().join('\0');
  return target.uniqueKeys.some((cols) => [...cols].sort().join('\0') === wanted);
}

const BUILTIN_SQL = `
SELECT u.name FROM unnest($1::text[]) AS u(name)
JOIN pg_type t ON t.oid = to_regtype(u.name)
WHERE t.typnamespace = 'pg_catalog'::regnamespace`;

/**
 * Which of these type names resolve to pg_catalog types here. User types
 * (enums, domains, composites, arrays of them) do not, even when a type of the
 * same name happens to exist in the destination: it may differ.
 */
export async function builtinTypeNames(client: pg.ClientBase, names: readonly string[]): Promise<Set<string>> {
  const unique = [...new Set(names)];
  if (unique.length === 0) return new Set();
  try {
    return new Set((await client.query<{ name: string }>(BUILTIN_SQL, [unique])).rows.map((r) => r.name));
  } catch {
    // to_regtype raises on a syntactically invalid name: check one by one, dropping the bad ones.
    const found = new Set<string>();
    for (const name of unique) {
      const ok = await client.query<{ name: string }>(BUILTIN_SQL, [[name]]).then(
        (r) => r.rows.length > 0,
        () => false,
      );
      if (ok) found.add(name);
    }
    return found;
  }
}

/** Does the schema exist? (Checked before CREATE SCHEMA, which needs the CREATE privilege even with IF NOT EXISTS.) */
export async function schemaExists(client: pg.ClientBase, schema: string): Promise<boolean> {
  return (await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rows.length > 0;
}

export async function relationExists(client: pg.ClientBase, table: TableRef & { schema: string }): Promise<boolean> {
  const sql = 'SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2';
  return (await client.query(sql, [table.schema, table.name])).rows.length > 0;
}
