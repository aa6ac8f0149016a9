import type { MirrorOptions } from '../../core/connector.js';
import { SOFT_DELETE_COLUMN } from '../../core/ferry-columns.js';
import type { TableRef } from '../../core/schema.js';
import { quoteIdentifier, tableSql } from './sql-identifier.js';

/**
 * SQL of `mirror`'s second step on DuckDB: target rows in scope whose key the
 * staging table lacks. Keys are qualified (`_ferry_t`, `_ferry_s`), so
 * unqualified names in `mirror_scope` resolve to the target.
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
    ...(shape.options.delete === 'soft' ? [`"_ferry_t".${quoteIdentifier(SOFT_DELETE_COLUMN)} IS NULL`] : []),
  ];
  return parts.length === 0 ? 'TRUE' : parts.join(' AND ');
}

function notStaged(shape: MirrorShape): string {
  const on = shape.primaryKey.map((k) => `"_ferry_s".${quoteIdentifier(k)} = "_ferry_t".${quoteIdentifier(k)}`).join(' AND ');
  return `NOT EXISTS (SELECT 1 FROM ${tableSql(shape.staging, 'main')} AS "_ferry_s" WHERE ${on})`;
}

/** Live rows in scope and how many of them the load lacks: one row `(live, missing)`. */
export function mirrorCountSql(shape: MirrorShape): string {
  const from = `FROM ${tableSql(shape.target, 'main')} AS "_ferry_t" WHERE ${inScope(shape)}`;
  return `SELECT (SELECT count(*) ${from}) AS live, (SELECT count(*) ${from} AND ${notStaged(shape)}) AS missing`;
}

/** Hard: delete them. Soft: set `_ferry_deleted_at` to `$1` (the run's timestamp). */
export function mirrorDeleteSql(shape: MirrorShape): string {
  const where = `${inScope(shape)} AND ${notStaged(shape)}`;
  if (shape.options.delete === 'hard') return `DELETE FROM ${tableSql(shape.target, 'main')} AS "_ferry_t" WHERE ${where}`;
  return `UPDATE ${tableSql(shape.target, 'main')} AS "_ferry_t" SET ${quoteIdentifier(SOFT_DELETE_COLUMN)} = CAST($1 AS TIMESTAMPTZ) WHERE ${where}`;
}
