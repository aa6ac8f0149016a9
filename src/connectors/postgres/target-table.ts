import type pg from 'pg';
import type { TargetTable } from '../../core/connector.js';
import type { Column, LogicalType, TableRef } from '../../core/schema.js';
import { quoteIdent, quoteTable } from './identifiers.js';
import { columnOf } from './type-map.js';

/**
 * The existing target as schema contracts see it (columns with their logical
 * types), and the DDL that widens a column in place.
 */

const COLUMNS_SQL = `
SELECT a.attname AS name, a.atttypid::int8 AS oid, a.atttypmod AS typmod, t.typname, format_type(a.atttypid, a.atttypmod) AS type,
  a.attnotnull AS notnull,
  EXISTS (SELECT 1 FROM pg_depend d WHERE d.refobjid = c.oid AND d.refobjsubid = a.attnum AND d.classid = 'pg_rewrite'::regclass) AS in_view
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
ORDER BY a.attnum`;

interface ColumnRow {
  readonly name: string;
  readonly oid: string;
  readonly typmod: number;
  readonly typname: string;
  readonly type: string;
  readonly notnull: boolean;
  readonly in_view: boolean;
}

/** Highest precision numeric(p,s) accepts. */
const MAX_NUMERIC_PRECISION = 1000;

/** The target table's columns, or undefined when it is not a table yet (views are refused later by the writer). */
export async function describeTargetTable(client: pg.ClientBase, target: TableRef & { schema: string }): Promise<TargetTable | undefined> {
  const rows = (await client.query<ColumnRow>(COLUMNS_SQL, [target.schema, target.name])).rows;
  if (rows.length === 0) {
    const exists = await client.query("SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')", [
      target.schema,
      target.name,
    ]);
    // A zero-column table exists too: it has no column to compare but must not count as new.
    // A view of that name is not a table: the writer refuses it with its own message.
    if (exists.rows.length === 0) return undefined;
  }
  const columns: Column[] = rows.map((r) => columnOf(r.name, { oid: Number(r.oid), typmod: r.typmod, typname: r.typname }, r.type, !r.notnull));
  const inView = new Set(rows.filter((r) => r.in_view).map((r) => r.name));
  return {
    columns,
    namesIgnoreCase: false,
    widenRefusal(column: string, to: LogicalType): string | undefined {
      if (inView.has(column)) return `a view or rule uses column "${column}", and Postgres cannot change the type of such a column`;
      if (to.kind === 'decimal' && to.precision !== undefined && to.precision > MAX_NUMERIC_PRECISION) return `Postgres numeric holds at most ${MAX_NUMERIC_PRECISION} digits`;
      return undefined;
    },
  };
}

/** `ALTER TABLE ... ALTER COLUMN ... TYPE ...`: every widening Ferry asks for has an implicit cast. */
export function alterColumnTypeSql(table: TableRef, column: string, type: string): string {
  return `ALTER TABLE ${quoteTable(table)} ALTER COLUMN ${quoteIdent(column)} TYPE ${type}`;
}
