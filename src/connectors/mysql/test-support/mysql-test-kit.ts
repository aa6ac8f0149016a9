import type { ConnectorContext, Destination, OpenRequest, ReadRequest, Source } from '../../../core/connector.js';
import type { Column, Row } from '../../../core/schema.js';
import { MysqlDestination } from '../destination.js';
import { mysqlConnector } from '../index.js';
import { MysqlSource } from '../source.js';

/** Shared by this folder's tests (not a test itself). */

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export const testContext: ConnectorContext = { connection: 'mysql', projectDir: process.cwd(), logger: quiet };

export function mysqlSource(url: string, settings: Record<string, unknown> = {}): MysqlSource {
  return new MysqlSource(mysqlConnector.configSchema.parse({ url, ...settings }), testContext);
}

export function mysqlDestination(url: string, settings: Record<string, unknown> = {}): MysqlDestination {
  return new MysqlDestination(mysqlConnector.configSchema.parse({ url, ...settings }), testContext);
}

export function tableRead(schema: string, name: string, extra: Partial<ReadRequest> = {}): ReadRequest {
  return { stream: `${schema}.${name}`, target: { kind: 'table', table: { schema, name } }, batchSize: 1000, ...extra };
}

/** Every row of a read (bytes as plain Uint8Array), with the columns of its batches. */
export async function readAll(source: Source, request: ReadRequest): Promise<{ columns: readonly Column[]; rows: Row[] }> {
  const rows: Row[] = [];
  let columns: readonly Column[] = [];
  for await (const batch of source.read(request, new AbortController().signal)) {
    columns = batch.columns;
    for (const row of batch.rows) rows.push(row.map((v) => (v instanceof Uint8Array ? new Uint8Array(v) : v)));
  }
  return { columns, rows };
}

/** Stage one batch into `destination` and commit it. */
export async function loadRows(destination: Destination, request: Omit<OpenRequest, 'sync' | 'runId' | 'stream' | 'schemaChange' | 'primaryKey'> & Partial<OpenRequest>, rows: readonly Row[]): Promise<number> {
  const writer = await destination.open({ sync: 'test', runId: 'run-1', stream: request.target.name, schemaChange: 'evolve', primaryKey: [], ...request }, new AbortController().signal);
  try {
    await writer.write({ columns: request.columns, rows });
    return (await writer.commit(undefined)).rows;
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
