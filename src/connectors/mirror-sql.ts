import type { MirrorOptions } from '../core/connector.js';
import { SOFT_DELETE_COLUMN } from '../core/ferry-columns.js';
import type { TableRef } from '../core/schema.js';

/** What `mirror`'s second step works on: the target, the loaded staging table and the key that matches them. */
export interface MirrorShape<Table = TableRef> {
  readonly target: Table;
  readonly staging: Table;
  readonly primaryKey: readonly string[];
  readonly options: MirrorOptions;
}

/**
 * How one SQL dialect writes the two tables of a mirror statement: each as it
 * stands after FROM (with its alias where there is one) and the name that
 * qualifies its columns.
 */
export interface MirrorTables {
  readonly target: string;
  readonly targetAlias: string;
  readonly staging: string;
  readonly stagingAlias: string;
  readonly quote: (name: string) => string;
}

/** Conditions for a target row in scope that is live (not already marked deleted, for soft mirrors). */
function inScope(shape: MirrorShape<unknown>, tables: MirrorTables): string[] {
  return [
    ...(shape.options.scope !== undefined ? [`(${shape.options.scope})`] : []),
    ...(shape.options.delete === 'soft' ? [`${tables.targetAlias}.${tables.quote(SOFT_DELETE_COLUMN)} IS NULL`] : []),
  ];
}

function notStaged(shape: MirrorShape<unknown>, tables: MirrorTables): string {
  const { quote, targetAlias, stagingAlias } = tables;
  const on = shape.primaryKey.map((k) => `${stagingAlias}.${quote(k)} = ${targetAlias}.${quote(k)}`).join(' AND ');
  return `NOT EXISTS (SELECT 1 FROM ${tables.staging} WHERE ${on})`;
}

/**
 * The WHERE condition of target rows in scope whose key the staging table
 * lacks. Key columns are qualified, so unqualified names in `mirror_scope`
 * resolve to the target (staging is only visible inside the NOT EXISTS).
 */
export function mirrorMissingWhere(shape: MirrorShape<unknown>, tables: MirrorTables): string {
  return [...inScope(shape, tables), notStaged(shape, tables)].join(' AND ');
}

/**
 * Live rows in scope, and how many of them the load lacks: one row with
 * columns `live`, `missing`. NOT EXISTS stays in a WHERE, where Postgres plans
 * it as a hash anti join; inside `count(*) FILTER` it would run once per row.
 */
export function mirrorCountSql(shape: MirrorShape<unknown>, tables: MirrorTables): string {
  const from = `FROM ${tables.target}`;
  const scope = inScope(shape, tables);
  const live = scope.length === 0 ? from : `${from} WHERE ${scope.join(' AND ')}`;
  return `SELECT (SELECT count(*) ${live}) AS live, (SELECT count(*) ${from} WHERE ${mirrorMissingWhere(shape, tables)}) AS missing`;
}
