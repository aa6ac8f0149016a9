import type { RowDataPacket } from 'mysql2/promise';
import type { TableRef } from '../../core/schema.js';
import type { MysqlConnection } from './client.js';

/** What the destination database already has: the target table, its columns and unique keys. */
export interface ExistingTarget {
  /** information_schema TABLE_TYPE: `BASE TABLE`, `VIEW`, ... */
  readonly kind: string;
  readonly columns: readonly string[];
  /** COLUMN_TYPE by column name: how values must be written into it. */
  readonly types: ReadonlyMap<string, string>;
  /** Column sets of unique indexes (the primary key included): ON DUPLICATE KEY arbiters. */
  readonly uniqueKeys: readonly (readonly string[])[];
}

export type QualifiedTable = TableRef & { readonly schema: string };

/** The target as it is now, or undefined. Names compare exactly. */
export async function findTarget(connection: MysqlConnection, target: QualifiedTable): Promise<ExistingTarget | undefined> {
  const [tables] = await connection.query<RowDataPacket[]>(
    'SELECT TABLE_NAME AS name, TABLE_TYPE AS kind FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [target.schema, target.name],
  );
  const table = tables.find((t) => t['name'] === target.name);
  if (!table) return undefined;
  const [columns] = await connection.query<RowDataPacket[]>(
    'SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
    [target.schema, target.name],
  );
  const [indexes] = await connection.query<RowDataPacket[]>(
    `SELECT INDEX_NAME AS idx, COLUMN_NAME AS name, SUB_PART AS part FROM information_schema.STATISTICS
     WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0 ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
    [target.schema, target.name],
  );
  const keys = new Map<string, string[]>();
  const partial = new Set<string>();
  for (const row of indexes) {
    const idx = String(row['idx']);
    if (row['part'] !== null) partial.add(idx);
    keys.set(idx, [...(keys.get(idx) ?? []), String(row['name'])]);
  }
  return {
    kind: String(table['kind']),
    columns: columns.map((c) => String(c['name'])),
    types: new Map(columns.map((c) => [String(c['name']), String(c['type'])])),
    uniqueKeys: [...keys].filter(([idx]) => !partial.has(idx)).map(([, cols]) => cols),
  };
}

/** True when some unique key of the target is exactly the given column set. */
export function hasUniqueKey(target: ExistingTarget, key: readonly string[]): boolean {
  const wanted = [...key].sort().join('\0');
  return target.uniqueKeys.some((cols) => [...cols].sort().join('\0') === wanted);
}

export async function databaseExists(connection: MysqlConnection, database: string): Promise<boolean> {
  const [rows] = await connection.query<RowDataPacket[]>('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [database]);
  return rows.some((r) => r['name'] === database);
}
