import type { MirrorOptions } from '../../core/connector.js';
import { SOFT_DELETE_COLUMN } from '../../core/ferry-columns.js';
import type { TableRef } from '../../core/schema.js';
import { quoteColumns, quoteIdent, quoteTable } from './identifiers.js';

/**
 * SQL of `mirror`'s second step on MySQL/MariaDB: target rows in scope whose
 * key the staging table lacks. Keys are qualified (`t`, `s`), so unqualified
 * names in `mirror_scope` resolve to the target.
 */
export interface MirrorShape {
  readonly target: TableRef;
  readonly staging: TableRef;
  readonly primaryKey: readonly string[];
  readonly options: MirrorOptions;
}

function inScope(shape: MirrorShape): string {
  const parts = [
    ...(shape.options.scope !== undefined ? [`(${shape.options.scope})`] : []),
    ...(shape.options.delete === 'soft' ? [`t.${quoteIdent(SOFT_DELETE_COLUMN)} IS NULL`] : []),
  ];
  return parts.length === 0 ? 'TRUE' : parts.join(' AND ');
}

function notStaged(shape: MirrorShape): string {
  const on = shape.primaryKey.map((k) => `s.${quoteIdent(k)} = t.${quoteIdent(k)}`).join(' AND ');
  return `NOT EXISTS (SELECT 1 FROM ${quoteTable(shape.staging)} s WHERE ${on})`;
}

/** Live rows in scope and how many of them the load lacks: one row `(live, missing)`. */
export function mirrorCountSql(shape: MirrorShape): string {
  const from = `FROM ${quoteTable(shape.target)} t WHERE ${inScope(shape)}`;
  return `SELECT (SELECT COUNT(*) ${from}) AS live, (SELECT COUNT(*) ${from} AND ${notStaged(shape)}) AS missing`;
}

/** Hard: delete them. Soft: set `_ferry_deleted_at` to the one parameter (the run's timestamp, UTC). */
export function mirrorDeleteSql(shape: MirrorShape): string {
  const where = `${inScope(shape)} AND ${notStaged(shape)}`;
  if (shape.options.delete === 'hard') return `DELETE t FROM ${quoteTable(shape.target)} t WHERE ${where}`;
  return `UPDATE ${quoteTable(shape.target)} t SET t.${quoteIdent(SOFT_DELETE_COLUMN)} = ? WHERE ${where}`;
}

/** The NOT EXISTS lookups need an index on the staging key (staging has none: it only takes the load). DDL: run before the transaction. */
export function stagingKeyIndexSql(shape: MirrorShape): string {
  return `ALTER TABLE ${quoteTable(shape.staging)} ADD INDEX ${quoteIdent('_ferry_key')} (${quoteColumns(shape.primaryKey)})`;
}
