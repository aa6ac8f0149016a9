import type { ConnectorContext, OpenRequest, ReadRequest } from '../../../core/connector.js';
import type { Batch, Column, Row } from '../../../core/schema.js';
import { postgresConnector } from '../index.js';
import { PostgresDestination } from '../destination.js';
import { PostgresSource } from '../source.js';

/** Shared by this folder's tests (not a test itself). */

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export const testContext: ConnectorContext = { connection: 'pg', projectDir: process.cwd(), logger: quiet };

export function sourceFor(url: string, settings: Record<string, unknown> = {}): PostgresSource {
  return new PostgresSource(postgresConnector.configSchema.parse({ url, ...settings }), testContext);
}

export function destinationFor(url: string, settings: Record<string, unknown> = {}): PostgresDestination {
  return new PostgresDestination(postgresConnector.configSchema.parse({ url, ...settings }), testContext);
}

export function tableRead(schema: string, name: string, extra: Partial<ReadRequest> = {}): ReadRequest {
  return { stream: `${schema}.${name}`, target: { kind: 'table', table: { schema, name } }, batchSize: 1000, ...extra };
}

/** Every row of a read, with the columns of its batches. */
export async function readAll(source: PostgresSource, request: ReadRequest): Promise<{ columns: readonly Column[]; rows: Row[]; batches: number }> {
  const rows: Row[] = [];
  let columns: readonly Column[] = [];
  let batches = 0;
  for await (const batch of source.read(request, new AbortController().signal)) {
    columns = batch.columns;
    rows.push(...batch.rows);
    batches++;
  }
  return { columns, rows, batches };
}

export function openRequest(overrides: Partial<OpenRequest> & Pick<OpenRequest, 'target' | 'columns' | 'write'>): OpenRequest {
  return { sync: 'test', stream: overrides.target.name, runId: 'run-1', primaryKey: [], schemaChange: 'evolve', ...overrides };
}

/** Stage batches and commit in one go. */
export async function load(destination: PostgresDestination, request: OpenRequest, batches: readonly Batch[]): Promise<number> {
  const writer = await destination.open(request, new AbortController().signal);
  try {
    for (const batch of batches) await writer.write(batch);
    return (await writer.commit(undefined)).rows;
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

export function col(name: string, kind: Column['type']['kind'], extra: Partial<Column> = {}): Column {
  return { name, type: { kind }, nullable: true, ...extra };
}
