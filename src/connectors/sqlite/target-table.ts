import type { TargetTable } from '../../core/connector.js';
import type { Column, LogicalType } from '../../core/schema.js';
import type { SqliteDatabase } from './database.js';
import { quoteIdentifier } from './sql-identifier.js';
import { tableShape } from './table-shape.js';
import { declaredTypeOf } from './type-map.js';

/**
 * The existing target as schema contracts see it, and widening in place.
 *
 * SQLite has no ALTER COLUMN TYPE. A column's declared type is only text in
 * the table's CREATE statement (it decides the affinity and, for Ferry's
 * source, the logical type), so widening follows SQLite's documented
 * procedure: create the table again from its own statement with the new
 * declared types, copy the rows (which re-applies affinity: an INTEGER
 * widened to DECIMAL_TEXT becomes its exact decimal text), drop the old
 * table, rename, and recreate its indexes and triggers, all inside the
 * publish transaction. The column's declaration must appear exactly once in
 * the statement, as Ferry writes it; otherwise the widening is refused with
 * that reason rather than guessed.
 */

interface TableSql {
  readonly sql: string;
  readonly name: string;
  /** Declared type per lower-cased column name. */
  readonly declared: ReadonlyMap<string, string>;
  readonly generated: boolean;
}

function tableSqlOf(db: SqliteDatabase, table: string): TableSql | undefined {
  const row = db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE`).get(table) as { name: string; sql: string } | undefined;
  if (!row) return undefined;
  const info = db.prepare('SELECT name, type, hidden FROM pragma_table_xinfo(?)').all(row.name) as { name: string; type: string; hidden: bigint }[];
  return { sql: row.sql, name: row.name, declared: new Map(info.map((c) => [c.name.toLowerCase(), c.type])), generated: info.some((c) => c.hidden !== 0n) };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Where `name TYPE` is declared: start and end of the type text, or undefined unless exactly one match. */
function declarationOf(table: TableSql, column: string): { start: number; end: number } | undefined {
  const declared = table.declared.get(column.toLowerCase());
  if (declared === undefined || declared === '') return undefined;
  const name = `(?:${escapeRegExp(quoteIdentifier(column))}|${escapeRegExp(column)})`;
  const pattern = new RegExp(`([(,]\\s*)${name}\\s+(${escapeRegExp(declared)})(?=\\s|,|\\))`, 'gi');
  const matches = [...table.sql.matchAll(pattern)];
  const only = matches.length === 1 ? matches[0] : undefined;
  if (!only || only.index === undefined) return undefined;
  const end = only.index + only[0].length;
  return { start: end - (only[2] ?? '').length, end };
}

/** The target table's columns, or undefined when it does not exist yet. */
export function describeTargetTable(db: SqliteDatabase, table: string): TargetTable | undefined {
  const sql = tableSqlOf(db, table);
  if (!sql) return undefined;
  const columns = tableShape(db, { name: sql.name }).descriptor.columns;
  return {
    columns,
    namesIgnoreCase: true,
    widenRefusal(column: string, _to: LogicalType): string | undefined {
      if (sql.generated) return `table ${sql.name} has generated columns, which SQLite cannot copy into a rebuilt table`;
      if (!declarationOf(sql, column)) return `the CREATE TABLE statement of ${sql.name} does not declare column "${column}" in a form Ferry can rewrite`;
      return undefined;
    },
  };
}

/** Statements that rebuild `table` with `columns` declared at their (wider) types. Run inside the publish transaction. */
export function widenStatements(db: SqliteDatabase, table: string, columns: readonly Column[]): string[] {
  const sql = tableSqlOf(db, table);
  if (!sql || columns.length === 0) return [];
  const edits = columns
    .map((c) => ({ at: declarationOf(sql, c.name), type: declaredTypeOf(c), name: c.name }))
    .sort((a, b) => (b.at?.start ?? 0) - (a.at?.start ?? 0));
  let create = sql.sql;
  for (const edit of edits) {
    if (!edit.at) throw new Error(`cannot find the declaration of column "${edit.name}" in ${sql.name}`);
    create = `${create.slice(0, edit.at.start)}${edit.type}${create.slice(edit.at.end)}`;
  }
  const rebuilt = `_ferry_widen_${sql.name}`;
  const header = /^\s*CREATE\s+TABLE\s+(?:"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|\S+?)(?=\s*\()/i;
  if (!header.test(create)) throw new Error(`cannot read the CREATE TABLE statement of ${sql.name}`);
  const dependents = db.prepare(`SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL`).pluck().all(sql.name) as string[];
  return [
    create.replace(header, `CREATE TABLE ${quoteIdentifier(rebuilt)}`),
    `INSERT INTO ${quoteIdentifier(rebuilt)} SELECT * FROM ${quoteIdentifier(sql.name)}`,
    `DROP TABLE ${quoteIdentifier(sql.name)}`,
    // Views naming the table would make a checked rename fail while it is gone; the name comes back at once.
    'PRAGMA legacy_alter_table = ON',
    `ALTER TABLE ${quoteIdentifier(rebuilt)} RENAME TO ${quoteIdentifier(sql.name)}`,
    'PRAGMA legacy_alter_table = OFF',
    ...dependents,
  ];
}
