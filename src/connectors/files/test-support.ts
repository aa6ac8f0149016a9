import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ConnectorContext, Destination, ReadRequest, Source, WriteMode } from '../../core/connector.js';
import type { Batch, Column, Row } from '../../core/schema.js';
import { FilesDestination } from './destination.js';
import { filesConnector } from './index.js';
import { FilesSource } from './source.js';

/** Fixtures shared by the project's tests, read in place (never copied). */
export const FIXTURES = resolve('../shared/fixtures');

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** A scratch project folder under the OS temp dir, removed by `dispose`. */
export async function scratchProject(): Promise<{ dir: string; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-files-'));
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

export function contextAt(projectDir: string): ConnectorContext {
  return { connection: 'files', projectDir, logger: quiet };
}

/** A files source for raw settings (parsed by the connector's schema). */
export function filesSource(projectDir: string, settings: Record<string, unknown>): Source {
  const config = filesConnector.configSchema.parse(settings);
  return new FilesSource(config, resolve(projectDir, config.path), contextAt(projectDir));
}

export function filesDestination(projectDir: string, settings: Record<string, unknown>): Destination {
  const config = filesConnector.configSchema.parse(settings);
  return new FilesDestination(config, resolve(projectDir, config.path), contextAt(projectDir));
}

/** Every row of a stream with its columns; also counts the batches. */
export async function readAll(source: Source, name: string, extra: Partial<ReadRequest> = {}): Promise<Batch & { batches: number }> {
  let columns: readonly Column[] = [];
  const rows: Row[] = [];
  let batches = 0;
  const request: ReadRequest = { stream: name, target: { kind: 'table', table: { name } }, batchSize: 1000, ...extra };
  for await (const batch of source.read(request, new AbortController().signal)) {
    columns = batch.columns;
    rows.push(...batch.rows);
    batches++;
  }
  return { columns, rows, batches };
}

/** Write one batch to `target` with `write` and commit. */
export async function writeAll(destination: Destination, target: string, columns: readonly Column[], rows: readonly Row[], write: WriteMode = 'replace', runId = 'run1'): Promise<number> {
  const writer = await destination.open(
    { sync: 's', stream: target, runId, target: { name: target }, columns, write, primaryKey: [], schemaChange: 'evolve' },
    new AbortController().signal,
  );
  try {
    if (rows.length > 0) await writer.write({ columns, rows });
    return (await writer.commit(undefined)).rows;
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/** A nullable column of a kind. */
export function col(name: string, kind: Column['type']['kind'], extra: Partial<Column['type']> = {}): Column {
  return { name, type: { kind, ...extra }, nullable: true };
}

/** The DataError (or other error) a promise rejects with. */
export async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}
