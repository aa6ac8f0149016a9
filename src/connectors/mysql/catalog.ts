import type { RowDataPacket } from 'mysql2/promise';
import { ConfigError } from '../../core/errors.js';
import type { StreamDescriptor, TableRef } from '../../core/schema.js';
import type { MysqlConnection } from './client.js';
import { driverError } from './driver-error.js';
import { columnOf, type MysqlColumnInfo, type TypingOptions } from './type-map.js';

/**
 * Reading the catalog (information_schema): tables and views with their
 * columns, types, primary keys and, on MariaDB, which longtext columns are
 * JSON (a `json_valid` check). Four queries whatever the number of tables.
 */

/** Databases that hold the server's own tables, never streams. */
const SYSTEM_DATABASES = ['information_schema', 'mysql', 'performance_schema', 'sys'];
const NOT_SYSTEM = `NOT IN (${SYSTEM_DATABASES.map((d) => `'${d}'`).join(', ')})`;

interface TableRow extends RowDataPacket {
  readonly db: string;
  readonly name: string;
  readonly rows_estimate: string | null;
}

interface ColumnRow extends RowDataPacket {
  readonly db: string;
  readonly tbl: string;
  readonly name: string;
  readonly data_type: string;
  readonly column_type: string;
  readonly nullable: string;
  readonly comment: string;
}

interface KeyRow extends RowDataPacket {
  readonly db: string;
  readonly tbl: string;
  readonly name: string;
}

interface CheckRow extends RowDataPacket {
  readonly db: string;
  readonly tbl: string;
  readonly clause: string;
}

/** Ferry's own bookkeeping tables are not streams. */
function isFerryTable(name: string): boolean {
  return name === '_ferry_checkpoints' || name.startsWith('_ferry_stage_') || name.startsWith('_ferry_old_');
}

function scope(table: TableRef | undefined, db = 'TABLE_SCHEMA', tbl = 'TABLE_NAME'): { sql: string; params: string[] } {
  if (table === undefined) return { sql: `${db} ${NOT_SYSTEM}`, params: [] };
  return { sql: `${db} = ? AND ${tbl} = ?`, params: [table.schema ?? '', table.name] };
}

const tableKey = (db: string, name: string): string => `${db}\0${name}`;

/** `json_valid(`col`)` -> col, for MariaDB's JSON columns. */
function jsonColumnOf(clause: string): string | undefined {
  const m = /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(clause.trim());
  return m?.[1]?.replaceAll('``', '`');
}

async function jsonColumns(connection: MysqlConnection, table: TableRef | undefined): Promise<Set<string>> {
  const where = scope(table, 'CONSTRAINT_SCHEMA', 'TABLE_NAME');
  try {
    const [rows] = await connection.query<CheckRow[]>(
      `SELECT CONSTRAINT_SCHEMA AS db, TABLE_NAME AS tbl, CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS WHERE ${where.sql} AND CHECK_CLAUSE LIKE 'json\\_valid(%'`,
      where.params,
    );
    return new Set(rows.flatMap((r) => {
      const column = jsonColumnOf(r.clause);
      return column === undefined ? [] : [`${tableKey(r.db, r.tbl)}\0${column}`];
    }));
  } catch {
    // Servers without CHECK_CONSTRAINTS (MySQL 5.7) have a real JSON type instead.
    return new Set();
  }
}

/** Tables and views (all, or one), described. Names compare exactly (information_schema compares without case). */
export async function readCatalog(connection: MysqlConnection, options: TypingOptions, table?: TableRef): Promise<StreamDescriptor[]> {
  const where = scope(table);
  const [tables] = await connection.query<TableRow[]>(
    `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, TABLE_ROWS AS rows_estimate FROM information_schema.TABLES WHERE ${where.sql} ORDER BY TABLE_SCHEMA, TABLE_NAME`,
    where.params,
  );
  const [columns] = await connection.query<ColumnRow[]>(
    `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS tbl, COLUMN_NAME AS name, DATA_TYPE AS data_type, COLUMN_TYPE AS column_type, IS_NULLABLE AS nullable, COLUMN_COMMENT AS comment
     FROM information_schema.COLUMNS WHERE ${where.sql} ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`,
    where.params,
  );
  const [keys] = await connection.query<KeyRow[]>(
    `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS tbl, COLUMN_NAME AS name FROM information_schema.KEY_COLUMN_USAGE
     WHERE ${where.sql} AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`,
    where.params,
  );
  const json = await jsonColumns(connection, table);
  const columnsOf = groupBy(columns, (c) => tableKey(c.db, c.tbl));
  const keysOf = groupBy(keys, (k) => tableKey(k.db, k.tbl));
  return tables
    .filter((t) => !isFerryTable(t.name) && (table === undefined || (t.db === table.schema && t.name === table.name)))
    .map((t) => {
      const key = tableKey(t.db, t.name);
      const cols = (columnsOf.get(key) ?? []).map((c) => columnOf(columnInfo(c, json.has(`${key}\0${c.name}`)), options));
      const estimate = t.rows_estimate === null ? undefined : Number(t.rows_estimate);
      const primaryKey = (keysOf.get(key) ?? []).map((k) => k.name);
      // `zero_dates: null` can turn key values into NULL: such a key no longer identifies rows.
      const keyHolds = primaryKey.every((name) => cols.find((c) => c.name === name)?.nullable === false);
      return {
        name: `${t.db}.${t.name}`,
        table: { schema: t.db, name: t.name },
        columns: cols,
        primaryKey: keyHolds ? primaryKey : [],
        ...(estimate !== undefined && Number.isFinite(estimate) ? { estimatedRows: estimate } : {}),
      };
    });
}

function columnInfo(row: ColumnRow, isJson: boolean): MysqlColumnInfo {
  return { name: row.name, dataType: row.data_type, columnType: row.column_type, nullable: row.nullable === 'YES', comment: row.comment ?? '', isJson };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** Every table and view outside the system databases. */
export async function discoverTables(connection: MysqlConnection, options: TypingOptions): Promise<StreamDescriptor[]> {
  try {
    return await readCatalog(connection, options);
  } catch (error) {
    throw driverError(error, 'discover tables');
  }
}

/** One table, or a ConfigError naming it. */
export async function describeTable(connection: MysqlConnection, options: TypingOptions, table: TableRef): Promise<StreamDescriptor> {
  let found: StreamDescriptor[];
  try {
    found = await readCatalog(connection, options, table);
  } catch (error) {
    throw driverError(error, `describe ${table.schema ?? ''}.${table.name}`);
  }
  const descriptor = found[0];
  if (descriptor) return descriptor;
  throw new ConfigError(`table ${table.schema ?? '?'}.${table.name} does not exist (or is not visible to this user)`, {
    hint: table.schema === undefined ? 'name the database (`db.table`) or set `database` on the connection' : 'run `ferry discover <connection>` to list tables',
  });
}
