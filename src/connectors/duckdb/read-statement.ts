import { DuckDBTypeId, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import type { ReadRequest } from '../../core/connector.js';
import { ConfigError } from '../../core/errors.js';
import type { Column, Value } from '../../core/schema.js';
import { filterPredicate, type RowFilter } from '../../core/row-filter.js';
import { quoteIdentifier } from './sql-identifier.js';
import type { ReadColumnType, } from './type-map.js';
import type { ReadShape } from './table-shape.js';
import { valueWriterFor } from './write-value.js';

/** The SELECT a read runs, its typed parameters and the columns it yields. */
export interface ReadStatement {
  readonly sql: string;
  readonly values: DuckDBValue[];
  readonly types: DuckDBType[];
  readonly columns: readonly Column[];
}

function pick(request: ReadRequest, shape: ReadShape): number[] {
  const { columns } = shape.descriptor;
  if (request.columns === undefined) return columns.map((_, i) => i);
  return request.columns.map((name) => {
    let index = columns.findIndex((c) => c.name === name);
    if (index < 0) index = columns.findIndex((c) => c.name.toLowerCase() === name.toLowerCase());
    if (index < 0) throw new ConfigError(`column "${name}" not found in ${shape.descriptor.name}`, { stream: request.stream, hint: `columns: ${columns.map((c) => c.name).join(', ')}` });
    return index;
  });
}

/**
 * Selected columns (cast where DuckDB must render the value), the user's
 * `where`, and the inclusive cursor bounds as parameters typed like its
 * column, so int64, decimals and timestamps compare exactly.
 */
export function readStatement(request: ReadRequest, shape: ReadShape): ReadStatement {
  const picked = pick(request, shape);
  const columns = picked.map((i) => shape.descriptor.columns[i] as Column);
  const list = picked.map((i) => {
    const name = quoteIdentifier((shape.descriptor.columns[i] as Column).name);
    const expression = (shape.reads[i] as ReadColumnType).select(name);
    return expression === name ? name : `${expression} AS ${name}`;
  });
  const conditions: string[] = request.where !== undefined ? [`(${request.where})`] : [];
  const values: DuckDBValue[] = [];
  const types: DuckDBType[] = [];
  const cursor = request.cursor;
  if (cursor) {
    const index = pick({ ...request, columns: [cursor.column] }, shape)[0] ?? -1;
    const column = quoteIdentifier(cursor.column);
    const type = shape.types[index] as DuckDBType;
    const bound = (value: Value): string => {
      values.push(valueWriterFor(type)(value));
      types.push(type);
      return `$${values.length}`;
    };
    // Inclusive window `from <= cursor <= to` (`to` is set by chunked reads and dry-run boundary counts).
    const window = [
      ...(cursor.from !== undefined && cursor.from !== null ? [`${column} >= ${bound(cursor.from)}`] : []),
      ...(cursor.to !== undefined && cursor.to !== null ? [`${column} <= ${bound(cursor.to)}`] : []),
    ];
    const test = window.length > 0 ? window.join(' AND ') : `${column} IS NOT NULL`;
    if (window.length > 0 || !cursor.includeNulls) conditions.push(cursor.includeNulls ? `(${test} OR ${column} IS NULL)` : test);
  }
  for (const filter of request.filters ?? []) {
    // Each value is a parameter typed like its column, so int64, decimals and timestamps compare exactly.
    const type = shape.types[pick({ ...request, columns: [filter.column] }, shape)[0] ?? -1] as DuckDBType;
    refuseTextOrder(filter, type, request.stream);
    const write = valueWriterFor(type);
    conditions.push(filterPredicate(filter, quoteIdentifier(filter.column), (value) => {
      values.push(write(value));
      types.push(type);
      return `$${values.length}`;
    }));
  }
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  return { sql: `SELECT ${list.join(', ')} FROM ${shape.from}${where}`, values, types, columns };
}

/**
 * Decimals wider than DuckDB's DECIMAL(38) are stored as their text, which
 * neither orders (`'10' < '9'`) nor compares equal (`'0.10'` vs `'0.1'`) like
 * numbers: filtering them in SQL would silently pick the wrong rows.
 */
function refuseTextOrder(filter: RowFilter, type: DuckDBType, stream: string): void {
  if (filter.type.kind !== 'decimal' || type.typeId !== DuckDBTypeId.VARCHAR) return;
  throw new ConfigError(`column "${filter.column}" holds decimals as text in DuckDB (unconstrained or wider than DECIMAL(38)): a filter cannot compare them exactly`, {
    stream,
    hint: 'use a `where` predicate with an explicit cast, e.g. CAST(amount AS DECIMAL(38,10)) > 10',
  });
}
