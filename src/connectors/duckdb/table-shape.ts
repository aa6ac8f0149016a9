import type { DuckDBConnection, DuckDBType } from '@duckdb/node-api';
import type { ReadTarget } from '../../core/connector.js';
import { ConfigError, FerryError } from '../../core/errors.js';
import type { Column, StreamDescriptor, TableRef } from '../../core/schema.js';
import { tableSql } from './sql-identifier.js';
import { readColumnType, type ReadColumnType } from './type-map.js';

/** A readable table or query: its descriptor and how to select each column. */
export interface ReadShape {
  readonly descriptor: StreamDescriptor;
  readonly reads: readonly ReadColumnType[];
  /** DuckDB type of each column as stored (cursor parameters bind with it). */
  readonly types: readonly DuckDBType[];
  /** The FROM clause. */
  readonly from: string;
}

/** Base tables and views of the current database, without DuckDB's and Ferry's own. */
export async function listTables(conn: DuckDBConnection): Promise<TableRef[]> {
  const reader = await conn.runAndReadAll(
    `SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT internal AND NOT temporary
     UNION ALL SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal AND NOT temporary
     ORDER BY 1, 2`,
  );
  return (reader.getRows() as [string, string][])
    .filter(([, name]) => !name.startsWith('_ferry_'))
    .map(([schema, name]) => ({ schema, name }));
}

async function exactTable(conn: DuckDBConnection, table: TableRef, defaultSchema: string): Promise<TableRef> {
  const reader = await conn.runAndReadAll(
    `SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database() AND lower(schema_name) = lower($1) AND lower(table_name) = lower($2)
     UNION ALL SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = current_database() AND lower(schema_name) = lower($1) AND lower(view_name) = lower($2)`,
    [table.schema ?? defaultSchema, table.name],
  );
  const row = reader.getRows()[0] as [string, string] | undefined;
  if (!row) {
    const known = (await listTables(conn)).map((t) => `${t.schema}.${t.name}`);
    throw new ConfigError(`DuckDB table ${table.schema ?? defaultSchema}.${table.name} does not exist`, { hint: `tables: ${known.join(', ') || '(none)'}` });
  }
  return { schema: row[0], name: row[1] };
}

async function keyAndComments(conn: DuckDBConnection, table: TableRef): Promise<{ key: string[]; comments: Map<string, string | null>; notNull: Set<string> }> {
  const params = [table.schema ?? 'main', table.name];
  const cols = await conn.runAndReadAll(
    `SELECT column_name, comment, is_nullable FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = $1 AND table_name = $2`,
    params,
  );
  const rows = cols.getRows() as [string, string | null, boolean][];
  const pk = await conn.runAndReadAll(
    `SELECT constraint_column_names FROM duckdb_constraints() WHERE database_name = current_database() AND schema_name = $1 AND table_name = $2 AND constraint_type = 'PRIMARY KEY'`,
    params,
  );
  const list = pk.getRowsJS()[0]?.[0];
  return {
    key: Array.isArray(list) ? list.map(String) : [],
    comments: new Map(rows.map(([name, comment]) => [name, comment])),
    notNull: new Set(rows.filter(([, , nullable]) => !nullable).map(([name]) => name)),
  };
}

/** Columns of a FROM clause, typed by what DuckDB reports for `SELECT *`. */
async function columnsOf(conn: DuckDBConnection, from: string): Promise<{ names: string[]; types: DuckDBType[] }> {
  const result = await conn.run(`SELECT * FROM ${from} LIMIT 0`);
  return { names: result.columnNames(), types: result.columnTypes() };
}

/** Descriptor and read plan of a table, view or query. */
export async function readShape(conn: DuckDBConnection, target: ReadTarget, defaultSchema: string): Promise<ReadShape> {
  if (target.kind === 'query') {
    const from = `(${target.sql}) AS "_ferry_query"`;
    const { names, types } = await columnsOf(conn, from).catch((error: unknown) => {
      throw new FerryError(`DuckDB cannot run the query: ${(error as Error).message}`, { hint: 'check the query in the stream definition', cause: error });
    });
    const reads = types.map((t) => readColumnType(t));
    const columns = names.map((name, i): Column => ({ name, type: (reads[i] as ReadColumnType).type, nullable: true, sourceType: String(types[i]), sourceEngine: 'duckdb' }));
    return { descriptor: { name: 'query', table: { name: 'query' }, columns, primaryKey: [] }, reads, types, from };
  }
  const table = await exactTable(conn, target.table, defaultSchema);
  const from = tableSql(table, defaultSchema);
  const { names, types } = await columnsOf(conn, from);
  const { key, comments, notNull } = await keyAndComments(conn, table);
  const reads = types.map((t, i) => readColumnType(t, comments.get(names[i] ?? '')));
  const columns = names.map((name, i): Column => ({ name, type: (reads[i] as ReadColumnType).type, nullable: !notNull.has(name), sourceType: String(types[i]), sourceEngine: 'duckdb' }));
  return { descriptor: { name: `${table.schema}.${table.name}`, table, columns, primaryKey: key }, reads, types, from };
}
