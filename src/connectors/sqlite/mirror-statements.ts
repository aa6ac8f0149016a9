import type { MirrorOptions } from '../../core/connector.js';
import { SOFT_DELETE_COLUMN } from '../../core/ferry-columns.js';
import { quoteIdentifier } from './sql-identifier.js';

/**
 * SQL of `mirror`'s second step on SQLite: target rows in scope whose key the
 * staging table lacks. Key columns are qualified with the table names, so
 * unqualified names in `mirror_scope` resolve to the target.
 */
export interface MirrorShape {
  readonly target: string;
  readonly staging: string;
  readonly primaryKey: readonly string[];
  readonly options: MirrorOptions;
}

function inScope(shape: MirrorShape): string {
  const parts = [
    ...(shape.options.scope !== undefined ? [`(${shape.options.scope})`] : []),
    ...(shape.options.delete === 'soft' ? [`${quoteIdentifier(shape.target)}.${quoteIdentifier(SOFT_DELETE_COLUMN)} IS NULL`] : []),
  ];
  return parts.length === 0 ? '1' : parts.join(' AND ');
}

function notStaged(shape: MirrorShape): string {
  const t = quoteIdentifier(shape.target);
  const on = shape.primaryKey.map((k) => `"_ferry_s".${quoteIdentifier(k)} = ${t}.${quoteIdentifier(k)}`).join(' AND ');
  return `NOT EXISTS (SELECT 1 FROM ${quoteIdentifier(shape.staging)} AS "_ferry_s" WHERE ${on})`;
}

/** Live rows in scope and how many the load lacks: one row `(live, missing)`. */
export function mirrorCountSql(shape: MirrorShape): string {
  const from = `FROM ${quoteIdentifier(shape.target)} WHERE ${inScope(shape)}`;
  return `SELECT (SELECT count(*) ${from}) AS live, (SELECT count(*) ${from} AND ${notStaged(shape)}) AS missing`;
}

/** The key lookups of NOT EXISTS need an index on the staging table (it has none: it only takes the load). */
export function stagingKeyIndexSql(shape: MirrorShape): string {
  return `CREATE INDEX ${quoteIdentifier(`${shape.staging}_key`)} ON ${quoteIdentifier(shape.staging)} (${shape.primaryKey.map(quoteIdentifier).join(', ')})`;
}

/** Hard: delete them. Soft: set `_ferry_deleted_at` to the one parameter (the run's timestamp). */
export function mirrorDeleteSql(shape: MirrorShape): string {
  const where = `${inScope(shape)} AND ${notStaged(shape)}`;
  if (shape.options.delete === 'hard') return `DELETE FROM ${quoteIdentifier(shape.target)} WHERE ${where}`;
  return `UPDATE ${quoteIdentifier(shape.target)} SET ${quoteIdentifier(SOFT_DELETE_COLUMN)} = ? WHERE ${where}`;
}
