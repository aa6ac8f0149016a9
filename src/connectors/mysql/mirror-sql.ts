import { SOFT_DELETE_COLUMN } from '../../core/ferry-columns.js';
import { mirrorCountSql as countSql, mirrorMissingWhere, type MirrorShape, type MirrorTables } from '../mirror-sql.js';
import { quoteColumns, quoteIdent, quoteTable } from './identifiers.js';

export type { MirrorShape } from '../mirror-sql.js';

/** `mirror`'s tables on MySQL/MariaDB: target `t`, staging `s`. */
function tablesOf(shape: MirrorShape): MirrorTables {
  return { target: `${quoteTable(shape.target)} t`, targetAlias: 't', staging: `${quoteTable(shape.staging)} s`, stagingAlias: 's', quote: quoteIdent };
}

/** Live rows in scope and how many of them the load lacks: one row `(live, missing)`. */
export function mirrorCountSql(shape: MirrorShape): string {
  return countSql(shape, tablesOf(shape));
}

/** Hard: delete them. Soft: set `_ferry_deleted_at` to the one parameter (the run's timestamp, UTC). */
export function mirrorDeleteSql(shape: MirrorShape): string {
  const where = mirrorMissingWhere(shape, tablesOf(shape));
  if (shape.options.delete === 'hard') return `DELETE t FROM ${quoteTable(shape.target)} t WHERE ${where}`;
  return `UPDATE ${quoteTable(shape.target)} t SET t.${quoteIdent(SOFT_DELETE_COLUMN)} = ? WHERE ${where}`;
}

/** The NOT EXISTS lookups need an index on the staging key (staging has none: it only takes the load). DDL: run before the transaction. */
export function stagingKeyIndexSql(shape: MirrorShape): string {
  return `ALTER TABLE ${quoteTable(shape.staging)} ADD INDEX ${quoteIdent('_ferry_key')} (${quoteColumns(shape.primaryKey)})`;
}
