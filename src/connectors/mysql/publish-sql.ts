import type { Column, TableRef } from '../../core/schema.js';
import type { ColumnDdl } from './ddl-type.js';
import { quoteColumns, quoteIdent, quoteLiteral, quoteTable } from './identifiers.js';

/**
 * SQL text for staging and publishing. Pure functions of names and types, so
 * the statements a commit runs can be recorded exactly as run.
 */

/** Column added to merge staging tables: load order, the last tie-breaker among duplicate keys. */
export const ORDER_COLUMN = '_ferry_ord';
const ROW_NUMBER = '_ferry_rn';

export interface TableShape {
  readonly columns: readonly Column[];
  /** DDL per column, same order as `columns`. */
  readonly ddls: readonly ColumnDdl[];
  /** Add NOT NULL where the source column is not nullable. */
  readonly notNull: boolean;
  readonly primaryKey?: readonly string[];
  /** Add the `_ferry_ord` auto-increment column. */
  readonly loadOrder?: boolean;
  /** Default collation of the table's text columns. */
  readonly collation: string;
}

function columnDef(column: Column, ddl: ColumnDdl | undefined, notNull: boolean): string {
  const comment = ddl?.comment !== undefined ? ` COMMENT ${quoteLiteral(ddl.comment)}` : '';
  return `${quoteIdent(column.name)} ${ddl?.type ?? 'longtext'}${notNull && !column.nullable ? ' NOT NULL' : ' NULL'}${comment}`;
}

export function createTableSql(table: TableRef, shape: TableShape): string {
  const defs = shape.columns.map((c, i) => columnDef(c, shape.ddls[i], shape.notNull));
  if (shape.loadOrder) defs.push(`${quoteIdent(ORDER_COLUMN)} bigint NOT NULL AUTO_INCREMENT`, `KEY (${quoteIdent(ORDER_COLUMN)})`);
  if (shape.primaryKey && shape.primaryKey.length > 0) defs.push(`PRIMARY KEY (${quoteColumns(shape.primaryKey)})`);
  return `CREATE TABLE ${quoteTable(table)} (${defs.join(', ')}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=${shape.collation}`;
}

export function addColumnSql(table: TableRef, column: Column, ddl: ColumnDdl): string {
  return `ALTER TABLE ${quoteTable(table)} ADD COLUMN ${columnDef(column, ddl, false)}`;
}

export function insertSql(target: TableRef, staging: TableRef, names: readonly string[]): string {
  return `INSERT INTO ${quoteTable(target)} (${quoteColumns(names)}) SELECT ${quoteColumns(names)} FROM ${quoteTable(staging)}`;
}

export interface MergeShape {
  readonly names: readonly string[];
  readonly primaryKey: readonly string[];
  readonly cursorColumn?: string;
}

/**
 * Upsert from staging: one row per key (highest cursor, NULL cursors last,
 * then the last loaded), inserted or updating the existing row.
 */
export function mergeSql(target: TableRef, staging: TableRef, shape: MergeShape): string {
  const cols = quoteColumns(shape.names);
  const updates = shape.names.filter((n) => !shape.primaryKey.includes(n));
  const firstKey = quoteIdent(shape.primaryKey[0] ?? '');
  const action = updates.length === 0 ? `${firstKey} = ${firstKey}` : updates.map((n) => `${quoteIdent(n)} = VALUES(${quoteIdent(n)})`).join(', ');
  return (
    `INSERT INTO ${quoteTable(target)} (${cols}) SELECT ${cols} FROM ${latestPerKey(staging, shape)} ` +
    `WHERE ${ROW_NUMBER} = 1 ON DUPLICATE KEY UPDATE ${action}`
  );
}

/** The newest staged row per key (see `mergeSql`), as a derived table `d`. */
function latestPerKey(staging: TableRef, shape: MergeShape): string {
  const cols = quoteColumns(shape.names);
  const order = [...(shape.cursorColumn !== undefined ? [`${quoteIdent(shape.cursorColumn)} IS NULL`, `${quoteIdent(shape.cursorColumn)} DESC`] : []), `${quoteIdent(ORDER_COLUMN)} DESC`];
  return `(SELECT ${cols}, ROW_NUMBER() OVER (PARTITION BY ${quoteColumns(shape.primaryKey)} ORDER BY ${order.join(', ')}) AS ${ROW_NUMBER} FROM ${quoteTable(staging)}) d`;
}

/**
 * Merge for targets whose key columns cannot carry a unique index (TEXT/BLOB
 * made by an earlier replace): delete the target rows of staged keys, then
 * insert the newest row per key. Run both in one transaction.
 */
export function mergeByDeleteSql(target: TableRef, staging: TableRef, shape: MergeShape): readonly [string, string] {
  const match = shape.primaryKey.map((k) => `s.${quoteIdent(k)} = t.${quoteIdent(k)}`).join(' AND ');
  const cols = quoteColumns(shape.names);
  return [
    `DELETE t FROM ${quoteTable(target)} t WHERE EXISTS (SELECT 1 FROM ${quoteTable(staging)} s WHERE ${match})`,
    `INSERT INTO ${quoteTable(target)} (${cols}) SELECT ${cols} FROM ${latestPerKey(staging, shape)} WHERE ${ROW_NUMBER} = 1`,
  ];
}

/** Distinct keys in staging: the rows a merge publishes. */
export function distinctKeysSql(staging: TableRef, primaryKey: readonly string[]): string {
  return `SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${quoteTable(staging)} GROUP BY ${quoteColumns(primaryKey)}) k`;
}

/** A unique index so ON DUPLICATE KEY UPDATE has the key to detect on a target created without one. */
export function uniqueIndexSql(target: TableRef, primaryKey: readonly string[]): string {
  return `ALTER TABLE ${quoteTable(target)} ADD UNIQUE INDEX ${quoteIdent('_ferry_key')} (${quoteColumns(primaryKey)})`;
}

export function dropTableSql(table: TableRef): string {
  return `DROP TABLE IF EXISTS ${quoteTable(table)}`;
}

/** One atomic statement: readers see the old table or the new one, never neither. */
export function swapTablesSql(target: TableRef, staging: TableRef, old: TableRef | undefined): string {
  const moves = old === undefined ? [] : [`${quoteTable(target)} TO ${quoteTable(old)}`];
  return `RENAME TABLE ${[...moves, `${quoteTable(staging)} TO ${quoteTable(target)}`].join(', ')}`;
}

export function deleteAllSql(table: TableRef): string {
  return `DELETE FROM ${quoteTable(table)}`;
}

export function countSql(table: TableRef): string {
  return `SELECT COUNT(*) AS n FROM ${quoteTable(table)}`;
}
