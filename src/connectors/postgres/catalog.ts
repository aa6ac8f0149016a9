import type pg from 'pg';
import { ConfigError } from '../../core/errors.js';
import type { Column, StreamDescriptor, TableRef } from '../../core/schema.js';
import { driverError } from './driver-error.js';
import { columnOf } from './type-map.js';

/**
 * Reading the catalog: every readable relation with its columns, types and
 * primary key in ONE query (correlated subqueries aggregate columns and keys
 * per relation), so discovery costs one round trip however many tables.
 */
const RELATIONS_SQL = `
SELECT n.nspname AS schema, c.relname AS name, c.reltuples::float8 AS reltuples,
  coalesce((
    SELECT json_agg(json_build_object(
      'name', a.attname, 'oid', a.atttypid::int8, 'typmod', a.atttypmod, 'typname', t.typname,
      'type', format_type(a.atttypid, a.atttypmod), 'notnull', a.attnotnull) ORDER BY a.attnum)
    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]') AS columns,
  coalesce((
    SELECT json_agg(a.attname ORDER BY k.ord)
    FROM pg_constraint co
    CROSS JOIN LATERAL unnest(co.conkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum
    WHERE co.conrelid = c.oid AND co.contype = 'p'), '[]') AS primary_key
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
  AND ($1::text IS NULL OR (n.nspname = $1 AND c.relname = $2))
ORDER BY n.nspname, c.relname`;

interface CatalogColumn {
  readonly name: string;
  readonly oid: number;
  readonly typmod: number;
  readonly typname: string;
  readonly type: string;
  readonly notnull: boolean;
}

interface RelationRow {
  readonly schema: string;
  readonly name: string;
  readonly reltuples: number;
  readonly columns: readonly CatalogColumn[];
  readonly primary_key: readonly string[];
}

/** Ferry's own bookkeeping tables are not streams. */
function isFerryTable(name: string): boolean {
  return name === '_ferry_checkpoints' || name.startsWith('_ferry_stage_');
}

function descriptorOf(row: RelationRow): StreamDescriptor {
  const columns: Column[] = row.columns.map((c) => columnOf(c.name, c, c.type, !c.notnull));
  return {
    name: `${row.schema}.${row.name}`,
    table: { schema: row.schema, name: row.name },
    columns,
    primaryKey: [...row.primary_key],
    ...(row.reltuples >= 0 ? { estimatedRows: Math.round(row.reltuples) } : {}),
  };
}

/** Every table, partitioned table, view, materialized view and foreign table outside the system schemas. */
export async function discoverRelations(client: pg.ClientBase): Promise<StreamDescriptor[]> {
  try {
    const result = await client.query<RelationRow>(RELATIONS_SQL, [null, null]);
    return result.rows.filter((r) => !isFerryTable(r.name)).map(descriptorOf);
  } catch (error) {
    throw driverError(error, 'discover tables');
  }
}

/** One relation, or a ConfigError naming it and listing similar names. */
export async function describeRelation(client: pg.ClientBase, table: TableRef, defaultSchema: string): Promise<StreamDescriptor> {
  const schema = table.schema ?? defaultSchema;
  let rows: RelationRow[];
  try {
    rows = (await client.query<RelationRow>(RELATIONS_SQL, [schema, table.name])).rows;
  } catch (error) {
    throw driverError(error, `describe ${schema}.${table.name}`);
  }
  const row = rows[0];
  if (row) return descriptorOf(row);
  const all = await discoverRelations(client);
  const similar = closeMatches(`${schema}.${table.name}`, table.name, all.map((d) => d.name));
  throw new ConfigError(`table ${schema}.${table.name} does not exist (or is not visible to this user)`, {
    hint: similar.length > 0 ? `did you mean ${similar.join(', ')}?` : 'run `ferry discover <connection>` to list tables',
  });
}

/** Names equal ignoring case or schema, or within a small edit distance, best first. */
export function closeMatches(wanted: string, bareName: string, names: readonly string[]): string[] {
  const lower = wanted.toLowerCase();
  const scored = names.map((name) => {
    const bare = name.slice(name.indexOf('.') + 1);
    const score = name.toLowerCase() === lower || bare === bareName ? 0 : bare.toLowerCase() === bareName.toLowerCase() ? 1 : editDistance(name.toLowerCase(), lower);
    return { name, score };
  });
  return scored.filter((s) => s.score <= 3).sort((a, b) => a.score - b.score).slice(0, 5).map((s) => s.name);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
