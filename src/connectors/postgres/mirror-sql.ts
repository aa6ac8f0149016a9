import { SOFT_DELETE_COLUMN } from '../../core/ferry-columns.js';
import { mirrorCountSql as countSql, mirrorMissingWhere, type MirrorShape, type MirrorTables } from '../mirror-sql.js';
import { quoteIdent, quoteTable } from './identifiers.js';

export type { MirrorShape } from '../mirror-sql.js';

/** `mirror`'s tables on Postgres: target `t`, staging `s`. */
function tablesOf(shape: MirrorShape): MirrorTables {
  return { target: `${quoteTable(shape.target)} t`, targetAlias: 't', staging: `${quoteTable(shape.staging)} s`, stagingAlias: 's', quote: quoteIdent };
}

/** Live rows in scope, and how many of them the load lacks (columns `live`, `missing`). */
export function mirrorCountSql(shape: MirrorShape): string {
  return countSql(shape, tablesOf(shape));
}

/** Hard: delete them. Soft: stamp `_ferry_deleted_at` with `$1` (the run's timestamp). */
export function mirrorDeleteSql(shape: MirrorShape): string {
  const where = mirrorMissingWhere(shape, tablesOf(shape));
  if (shape.options.delete === 'hard') return `DELETE FROM ${quoteTable(shape.target)} t WHERE ${where}`;
  return `UPDATE ${quoteTable(shape.target)} t SET ${quoteIdent(SOFT_DELETE_COLUMN)} = $1::timestamptz WHERE ${where}`;
}
