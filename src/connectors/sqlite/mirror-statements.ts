import { SOFT_DELETE_COLUMN } from '../../core/ferry-columns.js';
import { mirrorCountSql as countSql, mirrorMissingWhere, type MirrorShape as Shape, type MirrorTables } from '../mirror-sql.js';
import { quoteIdentifier } from './sql-identifier.js';

/** `mirror` on SQLite names tables by their bare name (one database, no schema). */
export type MirrorShape = Shape<string>;

/** `mirror`'s tables on SQLite: the target by its own name (UPDATE and DELETE take no alias), staging `_ferry_s`. */
function tablesOf(shape: MirrorShape): MirrorTables {
  const target = quoteIdentifier(shape.target);
  return { target, targetAlias: target, staging: `${quoteIdentifier(shape.staging)} AS "_ferry_s"`, stagingAlias: '"_ferry_s"', quote: quoteIdentifier };
}

/** Live rows in scope and how many the load lacks: one row `(live, missing)`. */
export function mirrorCountSql(shape: MirrorShape): string {
  return countSql(shape, tablesOf(shape));
}

/** The key lookups of NOT EXISTS need an index on the staging table (it has none: it only takes the load). */
export function stagingKeyIndexSql(shape: MirrorShape): string {
  return `CREATE INDEX ${quoteIdentifier(`${shape.staging}_key`)} ON ${quoteIdentifier(shape.staging)} (${shape.primaryKey.map(quoteIdentifier).join(', ')})`;
}

/** Hard: delete them. Soft: set `_ferry_deleted_at` to the one parameter (the run's timestamp). */
export function mirrorDeleteSql(shape: MirrorShape): string {
  const where = mirrorMissingWhere(shape, tablesOf(shape));
  if (shape.options.delete === 'hard') return `DELETE FROM ${quoteIdentifier(shape.target)} WHERE ${where}`;
  return `UPDATE ${quoteIdentifier(shape.target)} SET ${quoteIdentifier(SOFT_DELETE_COLUMN)} = ? WHERE ${where}`;
}
