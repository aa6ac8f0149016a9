import { SOFT_DELETE_COLUMN } from '../../core/ferry-columns.js';
import { mirrorCountSql as countSql, mirrorMissingWhere, type MirrorShape, type MirrorTables } from '../mirror-sql.js';
import { quoteIdentifier, tableSql } from './sql-identifier.js';

export type { MirrorShape } from '../mirror-sql.js';

/** `mirror`'s tables on DuckDB: target `_ferry_t`, staging `_ferry_s`. */
function tablesOf(shape: MirrorShape): MirrorTables {
  return {
    target: `${tableSql(shape.target, 'main')} AS "_ferry_t"`,
    targetAlias: '"_ferry_t"',
    staging: `${tableSql(shape.staging, 'main')} AS "_ferry_s"`,
    stagingAlias: '"_ferry_s"',
    quote: quoteIdentifier,
  };
}

/** Live rows in scope and how many of them the load lacks: one row `(live, missing)`. */
export function mirrorCountSql(shape: MirrorShape): string {
  return countSql(shape, tablesOf(shape));
}

/** Hard: delete them. Soft: set `_ferry_deleted_at` to `$1` (the run's timestamp). */
export function mirrorDeleteSql(shape: MirrorShape): string {
  const where = mirrorMissingWhere(shape, tablesOf(shape));
  if (shape.options.delete === 'hard') return `DELETE FROM ${tableSql(shape.target, 'main')} AS "_ferry_t" WHERE ${where}`;
  return `UPDATE ${tableSql(shape.target, 'main')} AS "_ferry_t" SET ${quoteIdentifier(SOFT_DELETE_COLUMN)} = CAST($1 AS TIMESTAMPTZ) WHERE ${where}`;
}
