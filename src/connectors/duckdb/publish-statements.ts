import type { OpenRequest } from '../../core/connector.js';
import type { Column, TableRef } from '../../core/schema.js';
import { quoteIdentifier, quoteList, quoteLiteral, tableSql } from './sql-identifier.js';
import { columnDefinitions, duckdbTypeOf } from './type-map.js';

/** CREATE TABLE plus COMMENTs marking VARCHAR decimals. `key` adds a PRIMARY KEY (merge targets). */
export function createTableSql(table: TableRef, columns: readonly Column[], options: { key: readonly string[]; notNull: boolean; ifNotExists: boolean }): string[] {
  const name = tableSql(table, 'main');
  const pk = options.key.length > 0 ? `, PRIMARY KEY (${quoteList(options.key)})` : '';
  return [`CREATE TABLE ${options.ifNotExists ? 'IF NOT EXISTS ' : ''}${name} (${columnDefinitions(columns, options.notNull)}${pk})`, ...commentSql(table, columns)];
}

export function commentSql(table: TableRef, columns: readonly Column[]): string[] {
  return columns.flatMap((c) => {
    const { comment } = duckdbTypeOf(c);
    return comment ? [`COMMENT ON COLUMN ${tableSql(table, 'main')}.${quoteIdentifier(c.name)} IS ${quoteLiteral(comment)}`] : [];
  });
}

export function addColumnSql(table: TableRef, column: Column): string[] {
  return [`ALTER TABLE ${tableSql(table, 'main')} ADD COLUMN ${quoteIdentifier(column.name)} ${duckdbTypeOf(column).sql}`, ...commentSql(table, [column])];
}

export function insertSelectSql(target: TableRef, staging: TableRef, columns: readonly Column[]): string {
  const list = quoteList(columns.map((c) => c.name));
  return `INSERT INTO ${tableSql(target, 'main')} (${list}) SELECT ${list} FROM ${tableSql(staging, 'main')}`;
}

/**
 * Upsert one row per key: the staged row with the highest cursor (NULLs
 * lowest), then the one staged last. MERGE needs no unique index, so it also
 * works on a table an earlier `replace` created without a key.
 */
export function mergeSql(target: TableRef, staging: TableRef, request: Pick<OpenRequest, 'columns' | 'primaryKey' | 'cursorColumn'>): string {
  const names = request.columns.map((c) => c.name);
  const cursor = request.cursorColumn !== undefined && names.includes(request.cursorColumn) ? `${quoteIdentifier(request.cursorColumn)} DESC NULLS LAST, ` : '';
  const on = request.primaryKey.map((k) => `t.${quoteIdentifier(k)} = s.${quoteIdentifier(k)}`).join(' AND ');
  const updates = names.filter((n) => !request.primaryKey.includes(n)).map((n) => `${quoteIdentifier(n)} = s.${quoteIdentifier(n)}`);
  const deduped = `(SELECT ${quoteList(names)} FROM ${tableSql(staging, 'main')} QUALIFY row_number() OVER (PARTITION BY ${quoteList(request.primaryKey)} ORDER BY ${cursor}rowid DESC) = 1)`;
  return (
    `MERGE INTO ${tableSql(target, 'main')} AS t USING ${deduped} AS s ON (${on}) ` +
    (updates.length > 0 ? `WHEN MATCHED THEN UPDATE SET ${updates.join(', ')} ` : '') +
    `WHEN NOT MATCHED THEN INSERT (${quoteList(names)}) VALUES (${names.map((n) => `s.${quoteIdentifier(n)}`).join(', ')})`
  );
}
