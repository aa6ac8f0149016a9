import type { Column, StreamDescriptor, TableRef } from '../../core/schema.js';
import { ConfigError, FerryError } from '../../core/errors.js';
import type { SqliteDatabase } from './database.js';
import { quoteIdentifier } from './sql-identifier.js';
import { logicalTypeOf } from './type-map.js';

/** What the source needs to know about a table or view to read it. */
export interface TableShape {
  readonly descriptor: StreamDescriptor;
  /** How to name a row in errors (`rowid`, `_rowid_`, `oid`); undefined for views and WITHOUT ROWID tables. */
  readonly rowid: string | undefined;
}

interface XInfoRow {
  readonly name: string;
  readonly type: string;
  readonly notnull: bigint;
  readonly pk: bigint;
  readonly hidden: bigint;
}

interface TableListRow {
  readonly name: string;
  readonly type: string;
  readonly wr: bigint;
}

/** Turn a declared column into a Column (the declared type is kept as `sourceType`). */
export function columnOf(name: string, declared: string | null, nullable: boolean): Column {
  return { name, type: logicalTypeOf(declared), nullable, sourceType: declared ?? '', sourceEngine: 'sqlite' };
}

/** Tables and views of the main schema, without SQLite's and Ferry's own. */
export function listTables(db: SqliteDatabase): string[] {
  const rows = db
    .prepare(`SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_ferry\\_%' ESCAPE '\\' ORDER BY name`)
    .pluck()
    .all() as string[];
  return rows;
}

/** Columns, primary key (in key order) and row identity of one table or view. */
export function tableShape(db: SqliteDatabase, table: TableRef): TableShape {
  const schema = table.schema ?? 'main';
  const listed = db.prepare('SELECT name, type, wr FROM pragma_table_list WHERE schema = ? AND name = ? COLLATE NOCASE').get(schema, table.name) as TableListRow | undefined;
  if (!listed || (listed.type !== 'table' && listed.type !== 'view')) {
    throw new ConfigError(`SQLite table "${table.name}" does not exist`, { hint: `tables: ${listTables(db).join(', ') || '(none)'}` });
  }
  const info = db.prepare(`SELECT name, type, "notnull", pk, hidden FROM pragma_table_xinfo(?, ?)`).all(listed.name, schema) as XInfoRow[];
  const visible = info.filter((c) => c.hidden !== 1n);
  const columns = visible.map((c) => columnOf(c.name, c.type, c.notnull === 0n && !(c.pk > 0n && /^INTEGER$/i.test(c.type))));
  const primaryKey = visible.filter((c) => c.pk > 0n).sort((a, b) => Number(a.pk - b.pk)).map((c) => c.name);
  const names = new Set(visible.map((c) => c.name.toLowerCase()));
  const rowid = listed.type === 'table' && listed.wr === 0n ? ['rowid', '_rowid_', 'oid'].find((n) => !names.has(n)) : undefined;
  return {
    descriptor: { name: listed.name, table: { name: listed.name }, columns, primaryKey },
    rowid,
  };
}

/** Columns of an arbitrary query, typed by the declared types of the columns it selects. */
export function queryShape(db: SqliteDatabase, sql: string): StreamDescriptor {
  let defs;
  try {
    defs = db.prepare(sql).columns();
  } catch (error) {
    throw new FerryError(`SQLite cannot prepare the query: ${(error as Error).message}`, { hint: 'check the query in the stream definition', cause: error });
  }
  const columns = defs.map((d) => columnOf(d.name, d.type, true));
  return { name: 'query', table: { name: 'query' }, columns, primaryKey: [] };
}

/** The FROM clause for a table. */
export function tableSql(table: TableRef): string {
  return table.schema && table.schema !== 'main' ? `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}` : quoteIdentifier(table.name);
}
