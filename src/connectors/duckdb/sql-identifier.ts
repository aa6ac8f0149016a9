import { createHash } from 'node:crypto';
import type { TableRef } from '../../core/schema.js';

/** Quote an identifier for DuckDB: double quotes, embedded quotes doubled. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteList(names: readonly string[]): string {
  return names.map(quoteIdentifier).join(', ');
}

/** `"schema"."table"` (the default schema when the reference has none). */
export function tableSql(table: TableRef, defaultSchema: string): string {
  return `${quoteIdentifier(table.schema ?? defaultSchema)}.${quoteIdentifier(table.name)}`;
}

/** A SQL string literal. */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Deterministic staging name: a killed load's leftover is dropped by the next attempt. */
export function stagingTableName(parts: readonly string[]): string {
  return `_ferry_stage_${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16)}`;
}
