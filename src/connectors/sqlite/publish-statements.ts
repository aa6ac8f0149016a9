import type { OpenRequest } from '../../core/connector.js';
import type { Column } from '../../core/schema.js';
import { quoteIdentifier, quoteList } from './sql-identifier.js';
import { declaredTypeOf } from './type-map.js';

/** Column definitions for CREATE TABLE. */
export function columnDefinitions(columns: readonly Column[]): string {
  return columns.map((c) => `${quoteIdentifier(c.name)} ${declaredTypeOf(c)}${c.nullable ? '' : ' NOT NULL'}`).join(', ');
}

/** CREATE TABLE for a target or staging table; `key` adds a PRIMARY KEY (merge targets). */
export function createTableSql(table: string, columns: readonly Column[], key: readonly string[], ifNotExists: boolean): string {
  const pk = key.length > 0 ? `, PRIMARY KEY (${quoteList(key)})` : '';
  return `CREATE TABLE ${ifNotExists ? 'IF NOT EXISTS ' : ''}${quoteIdentifier(table)} (${columnDefinitions(columns)}${pk})`;
}

/** Staging tables take any value the load brings: no NOT NULL, no key. */
export function createStagingSql(table: string, columns: readonly Column[]): string {
  return `CREATE TABLE ${quoteIdentifier(table)} (${columns.map((c) => `${quoteIdentifier(c.name)} ${declaredTypeOf(c)}`).join(', ')})`;
}

export function addColumnSql(table: string, column: Column): string {
  return `ALTER TABLE ${quoteIdentifier(table)} ADD COLUMN ${quoteIdentifier(column.name)} ${declaredTypeOf(column)}`;
}

export function insertSelectSql(target: string, staging: string, columns: readonly Column[]): string {
  const list = quoteList(columns.map((c) => c.name));
  return `INSERT INTO ${quoteIdentifier(target)} (${list}) SELECT ${list} FROM ${quoteIdentifier(staging)}`;
}

/**
 * Upsert the staged rows, one per key: the row with the highest cursor wins
 * (NULL cursors lose), then the row staged last. The outer WHERE also resolves
 * SQLite's parsing ambiguity between ON CONFLICT and a join's ON.
 */
export function mergeSql(target: string, staging: string, request: Pick<OpenRequest, 'columns' | 'primaryKey' | 'cursorColumn'>): string {
  const list = quoteList(request.columns.map((c) => c.name));
  const key = quoteList(request.primaryKey);
  const cursor = request.columns.find((c) => c.name === request.cursorColumn);
  const cursorOrder = cursor
    ? `${cursor.type.kind === 'decimal' ? `CAST(${quoteIdentifier(cursor.name)} AS NUMERIC)` : quoteIdentifier(cursor.name)} DESC NULLS LAST, `
    : '';
  const updates = request.columns
    .filter((c) => !request.primaryKey.includes(c.name))
    .map((c) => `${quoteIdentifier(c.name)} = excluded.${quoteIdentifier(c.name)}`);
  const onConflict = updates.length > 0 ? `DO UPDATE SET ${updates.join(', ')}` : 'DO NOTHING';
  return (
    `INSERT INTO ${quoteIdentifier(target)} (${list}) SELECT ${list} FROM ` +
    `(SELECT *, row_number() OVER (PARTITION BY ${key} ORDER BY ${cursorOrder}rowid DESC) AS "_ferry_rn" FROM ${quoteIdentifier(staging)}) ` +
    `WHERE "_ferry_rn" = 1 ON CONFLICT (${key}) ${onConflict}`
  );
}
