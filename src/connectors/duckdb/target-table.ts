import type { DuckDBConnection } from '@duckdb/node-api';
import type { TargetTable } from '../../core/connector.js';
import type { Column, LogicalType, TableRef } from '../../core/schema.js';
import { commentSql } from './publish-statements.js';
import { quoteIdentifier, tableSql } from './sql-identifier.js';
import { readShape } from './table-shape.js';
import { duckdbTypeOf } from './type-map.js';

/**
 * The existing target as schema contracts see it, and the DDL that widens a
 * column in place. DuckDB cannot change the type of a column under a PRIMARY
 * KEY or UNIQUE constraint (or an index), so those widenings are refused up
 * front with that reason instead of failing mid-publish.
 */

async function exists(conn: DuckDBConnection, target: TableRef, defaultSchema: string): Promise<boolean> {
  const reader = await conn.runAndReadAll(
    `SELECT 1 FROM duckdb_tables() WHERE database_name = current_database() AND lower(schema_name) = lower($1) AND lower(table_name) = lower($2)`,
    [target.schema ?? defaultSchema, target.name],
  );
  return reader.getRows().length > 0;
}

/** Lower-cased names of columns under a key, unique constraint or index. */
async function pinnedColumns(conn: DuckDBConnection, target: TableRef, defaultSchema: string): Promise<Set<string>> {
  const params = [target.schema ?? defaultSchema, target.name];
  const constraints = await conn.runAndReadAll(
    `SELECT constraint_column_names FROM duckdb_constraints() WHERE database_name = current_database() AND lower(schema_name) = lower($1) AND lower(table_name) = lower($2) AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')`,
    params,
  );
  const indexes = await conn.runAndReadAll(
    `SELECT expressions FROM duckdb_indexes() WHERE database_name = current_database() AND lower(schema_name) = lower($1) AND lower(table_name) = lower($2)`,
    params,
  );
  const names = constraints.getRowsJS().flatMap((r) => (Array.isArray(r[0]) ? r[0].map((n) => String(n).toLowerCase()) : []));
  // Index expressions are SQL text such as `["amount"]`; any column mentioned is pinned.
  const expressions = indexes.getRowsJS().map((r) => String(r[0]).toLowerCase());
  return new Set([...names, ...expressions.flatMap((e) => [...e.matchAll(/"((?:[^"]|"")+)"|(\w+)/g)].map((m) => (m[1] ?? m[2] ?? '').replaceAll('""', '"')))]);
}

/** The target table's columns, or undefined when it does not exist yet. */
export async function describeTargetTable(conn: DuckDBConnection, target: TableRef, defaultSchema: string): Promise<TargetTable | undefined> {
  if (!(await exists(conn, target, defaultSchema))) return undefined;
  const shape = await readShape(conn, { kind: 'table', table: target }, defaultSchema);
  const pinned = await pinnedColumns(conn, target, defaultSchema);
  return {
    columns: shape.descriptor.columns,
    namesIgnoreCase: true,
    widenRefusal(column: string, _to: LogicalType): string | undefined {
      if (pinned.has(column.toLowerCase())) return `DuckDB cannot change the type of column "${column}": it is part of a primary key, unique constraint or index`;
      return undefined;
    },
  };
}

/** ALTER ... TYPE, then the column comment that marks VARCHAR decimals (wider than DECIMAL(38)). */
export function alterColumnTypeSql(table: TableRef, column: Column): string[] {
  return [`ALTER TABLE ${tableSql(table, 'main')} ALTER ${quoteIdentifier(column.name)} TYPE ${duckdbTypeOf(column).sql}`, ...commentSql(table, [column])];
}
