import type { MirrorOptions } from '../../core/connector.js';
import { SOFT_DELETE_COLUMN } from '../../core/ferry-columns.js';
import type { TableRef } from '../../core/schema.js';
import { quoteIdent, quoteTable } from './identifiers.js';

/**
 * SQL of `mirror`'s second step: the target rows in scope whose key the
 * staging table lacks. Unqualified names in `mirror_scope` resolve to the
 * target (staging is only visible inside the NOT EXISTS).
 */

export interface MirrorShape {
  readonly target: TableRef;
  readonly staging: TableRef;
  readonly primaryKey: readonly string[];
  readonly options: MirrorOptions;
}

/** `t` rows in scope that are live (not already marked deleted, for soft mirrors). */
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

/**
 * Live rows in scope, and how many of them the load lacks (columns `live`,
 * `missing`). NOT EXISTS stays in a WHERE, where it plans as a hash anti join;
 * inside `count(*) FILTER` it would run once per target row.
 */
export function mirrorCountSql(shape: MirrorShape): string {
  const from = `FROM ${quoteTable(shape.target)} t WHERE ${inScope(shape)}`;
  return `SELECT (SELECT count(*) ${from}) AS live, (SELECT count(*) ${from} AND ${notStaged(shape)}) AS missing`;
}

/** Hard: delete them. Soft: stamp `_ferry_deleted_at` with `$1` (the run's timestamp). */
export function mirrorDeleteSql(shape: MirrorShape): string {
  const where = `${inScope(shape)} AND ${notStaged(shape)}`;
  if (shape.options.delete === 'hard') return `DELETE FROM ${quoteTable(shape.target)} t WHERE ${where}`;
  return `UPDATE ${quoteTable(shape.target)} t SET ${quoteIdent(SOFT_DELETE_COLUMN)} = $1::timestamptz WHERE ${where}`;
}
