import type { Source } from '../../src/core/connector.js';
import type { Batch, Row, TableRef } from '../../src/core/schema.js';
import type { TypeFidelity } from '../../src/core/type-fidelity.js';
import { collisionError, targetKey } from '../../src/engine/target-collisions.js';
import { type Endpoint, openEndpoint } from './fidelity-endpoints.js';
import { type ColumnComparison, compareBatches } from './value-comparison.js';

/** One table of a data set as a source reads it. `id` names it in every engine. */
export interface TableData {
  readonly id: string;
  readonly batch: Batch;
}

/** A data set as loaded into (and read from) one engine. */
export interface SourceData {
  /** Matrix row label: `postgres`, `sqlite`, `parquet files` ... */
  readonly name: string;
  readonly tables: readonly TableData[];
}

export interface ColumnResult {
  readonly table: string;
  readonly declared: TypeFidelity;
  readonly comparison: ColumnComparison;
}

export interface PairResult {
  readonly source: string;
  readonly destination: string;
  /** Tables the destination refused, with the first line of its error. */
  readonly refused: readonly { readonly table: string; readonly reason: string }[];
  readonly columns: readonly ColumnResult[];
  readonly rows: number;
  /** What the destination holds, as its own source reads it: the next hop's input. */
  readonly readBack: SourceData;
  readonly seconds: number;
}

const NEVER = new AbortController().signal;

/** Every row of a table, with its columns even when it has no rows. */
export async function readTable(source: Source, table: TableRef, stream: string): Promise<Batch> {
  const target = { kind: 'table', table } as const;
  const rows: Row[] = [];
  let columns = (await source.describe(target)).columns;
  for await (const batch of source.read({ stream, target, batchSize: 5000 }, NEVER)) {
    columns = batch.columns;
    for (const row of batch.rows) rows.push(row);
  }
  return { columns, rows };
}

/**
 * Copy every table of `from` into `to` (place `from_<source>`), then read all
 * of them back (after all writes, so tables that overwrite each other show)
 * and compare column by column with what was written.
 */
export async function copyPair(from: SourceData, to: Endpoint, work: string): Promise<PairResult> {
  const started = performance.now();
  const place = `from_${from.name.replace(/\W+/g, '_')}`;
  const end = openEndpoint(to, place, work);
  const refused: { table: string; reason: string }[] = [];
  const written: TableData[] = [];
  const declared = new Map<string, TypeFidelity[]>();
  try {
    const keys = new Map<string, TableData>();
    for (const t of from.tables) {
      const target = to.target(place, t.id);
      // What the planner does before a run: two tables that are one table in the destination are refused.
      const earlier = keys.get(targetKey(target, end.destination.capabilities));
      if (earlier) {
        const error = collisionError({ name: earlier.id, target: to.target(place, earlier.id) }, { name: t.id, target }, end.destination.capabilities);
        refused.push({ table: t.id, reason: error.message });
        continue;
      }
      keys.set(targetKey(target, end.destination.capabilities), t);
      if (t.batch.columns.length === 0) {
        refused.push({ table: t.id, reason: 'no columns to write' });
        continue;
      }
      declared.set(t.id, t.batch.columns.map((c) => end.destination.typeFidelity(c, target)));
      const request = { sync: 'fidelity', stream: t.id, runId: 'r1', target, columns: t.batch.columns, write: 'replace', primaryKey: [], schemaChange: 'evolve' } as const;
      let writer;
      try {
        writer = await end.destination.open(request, NEVER);
        if (t.batch.rows.length > 0) await writer.write(t.batch);
        await writer.commit(undefined);
        written.push(t);
      } catch (error) {
        await writer?.abort();
        refused.push({ table: t.id, reason: (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '' });
      }
    }
    const columns: ColumnResult[] = [];
    const back: TableData[] = [];
    for (const t of written) {
      const batch = await readTable(end.source, to.target(place, t.id), t.id);
      back.push({ id: t.id, batch });
      const fidelity = declared.get(t.id) ?? [];
      compareBatches(t.batch, batch).forEach((comparison, i) => {
        const d = fidelity[i];
        if (d) columns.push({ table: t.id, declared: d, comparison });
      });
    }
    const rows = written.reduce((n, t) => n + t.batch.rows.length, 0);
    return { source: from.name, destination: to.name, refused, columns, rows, readBack: { name: to.name, tables: back }, seconds: (performance.now() - started) / 1000 };
  } finally {
    await end.close();
  }
}
