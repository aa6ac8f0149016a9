import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/**
 * Opens the DuckDB file at `path`, hands a connection to `use` and closes both
 * afterwards, so the file is free again for the next `ferry run` in the test.
 */
export async function withDuckDb<T>(path: string, use: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    return await use(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
