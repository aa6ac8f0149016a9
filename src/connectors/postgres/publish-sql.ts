import type { Column, TableRef } from '../../core/schema.js';
import { fitIdentifier, quoteColumns, quoteIdent, quoteTable } from './identifiers.js';

/**
 * SQL text for staging and publishing. Pure functions of names and types, so
 * the statements a commit runs can be recorded exactly as run.
 */

/** Column added to merge staging tables: load order, the last tie-breaker among duplicate keys. */
export const ORDER_COLUMN = '_ferry_ord';

export interface TableShape {
  readonly columns: readonly Column[];
  /** DDL type per column, same order as `columns`. */
  readonly types: readonly string[];
  /** Add NOT NULL where the source column is not nullable. */
  readonly notNull: boolean;
  readonly primaryKey?: readonly string[];
  /** Add the `_ferry_ord` identity column. */
  readonly loadOrder?: boolean;
  /** `CREATE UNLOGGED TABLE`: no WAL for rows that never outlive the load (staging that is not swapped in). */
  readonly unlogged?: boolean;
}

export function createTableSql(table: TableRef, shape: TableShape): string {
  const defs = shape.columns.map(
    (c, i) => `${quoteIdent(c.name)} ${shape.types[i] ?? 'text'}${shape.notNull && !c.nullable ? ' NOT NULL' : ''}`,
  );
  if (shape.loadOrder) defs.push(`${quoteIdent(ORDER_COLUMN)} bigint GENERATED ALWAYS AS IDENTITY`);
  if (shape.primaryKey && shape.primaryKey.length > 0) defs.push(`PRIMARY KEY (${quoteColumns(shape.primaryKey)})`);
  return `CREATE ${shape.unlogged ? 'UNLOGGED ' : ''}TABLE ${quoteTable(table)} (${defs.join(', ')})`;
}

export function addColumnSql(table: TableRef, column: Column, type: string): string {
  return `ALTER TABLE ${quoteTable(table)} ADD COLUMN ${quoteIdent(column.name)} ${type}`;
}

/** ` ("a", "b")`, or nothing for a zero-column table (Postgres allows those). */
function columnList(names: readonly string[]): string {
  return names.length === 0 ? '' : ` (${quoteColumns(names)})`;
}

export function copyInSql(table: TableRef, names: readonly string[], format: 'text' | 'binary' | 'csv'): string {
  return `COPY ${quoteTable(table)}${columnList(names)} FROM STDIN${format === 'text' ? '' : ` (FORMAT ${format})`}`;
}

export function insertSql(target: TableRef, staging: TableRef, names: readonly string[]): string {
  return `INSERT INTO ${quoteTable(target)}${columnList(names)} SELECT ${quoteColumns(names)} FROM ${quoteTable(staging)}`;
}

export interface MergeShape {
  readonly names: readonly string[];
  readonly primaryKey: readonly string[];
  readonly cursorColumn?: string;
}

/**
 * Upsert from staging: one row per key (highest cursor, then the last loaded),
 * inserted or updating the existing row.
 */
export function mergeSql(target: TableRef, staging: TableRef, shape: MergeShape): string {
  const cols = quoteColumns(shape.names);
  const key = quoteColumns(shape.primaryKey);
  const order = [
    key,
    ...(shape.cursorColumn !== undefined ? [`${quoteIdent(shape.cursorColumn)} DESC NULLS LAST`] : []),
    `${quoteIdent(ORDER_COLUMN)} DESC`,
  ].join(', ');
  const updates = shape.names.filter((n) => !shape.primaryKey.includes(n));
  const action =
    updates.length === 0
      ? 'DO NOTHING'
      : `DO UPDATE SET ${updates.map((n) => `${quoteIdent(n)} = EXCLUDED.${quoteIdent(n)}`).join(', ')}`;
  return (
    `INSERT INTO ${quoteTable(target)} (${cols}) SELECT DISTINCT ON (${key}) ${cols} FROM ${quoteTable(staging)} ` +
    `ORDER BY ${order} ON CONFLICT (${key}) ${action}`
  );
}

/** A unique index so `ON CONFLICT (key)` has an arbiter on a target created without a key. */
export function uniqueIndexSql(target: TableRef, primaryKey: readonly string[]): string {
  const name = fitIdentifier(`${target.name}_ferry_key`);
  return `CREATE UNIQUE INDEX ${quoteIdent(name)} ON ${quoteTable(target)} (${quoteColumns(primaryKey)})`;
}

export function dropTableSql(table: TableRef): string {
  return `DROP TABLE IF EXISTS ${quoteTable(table)}`;
}

export function renameTableSql(from: TableRef, to: string): string {
  return `ALTER TABLE ${quoteTable(from)} RENAME TO ${quoteIdent(to)}`;
}

export function addPrimaryKeySql(table: TableRef, constraint: string, primaryKey: readonly string[]): string {
  return `ALTER TABLE ${quoteTable(table)} ADD CONSTRAINT ${quoteIdent(constraint)} PRIMARY KEY (${quoteColumns(primaryKey)})`;
}

export function renameIndexSql(schema: string, from: string, to: string): string {
  return `ALTER INDEX ${quoteTable({ schema, name: from })} RENAME TO ${quoteIdent(to)}`;
}

export function countSql(table: TableRef): string {
  return `SELECT count(*) AS n FROM ${quoteTable(table)}`;
}
