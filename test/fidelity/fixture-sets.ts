import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Source } from '../../src/core/connector.js';
import type { StreamDescriptor } from '../../src/core/schema.js';
import type { TableData } from './pair-copy.js';
import { readTable } from './pair-copy.js';

/** The shared fixtures, read in place (never copied into the repo). */
export const PG_TORTURE = resolve('../shared/fixtures/pg-type-torture');
export const PARQUET_DATA = resolve('../shared/fixtures/parquet/data');
export const PARQUET_BAD = resolve('../shared/fixtures/parquet/bad_data');

/** 1M generated integers: copied once, through binary pass-through, by src/connectors/postgres/type-torture.test.ts. */
export const BIG_TABLE = 'big_generated_table';

/** Load pg-type-torture into a Postgres database (the three files, in the documented order). */
export function loadPgTorture(url: string): void {
  for (const file of ['all_pg_types.sql', 'decimals.sql', 'other.sql']) {
    execFileSync('psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', join(PG_TORTURE, file)], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
}

/** A table's name in every engine: `name` for schema public, else `schema_name`. */
export function tableId(t: StreamDescriptor): string {
  return t.table.schema === 'public' ? t.table.name : `${t.table.schema}_${t.table.name}`;
}

/** Row counts per table measured upstream (fixtures/ROWCOUNTS.tsv). */
export function upstreamRowCounts(engine: string, dataset: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of readFileSync(resolve('../shared/fixtures/ROWCOUNTS.tsv'), 'utf8').split('\n')) {
    const [e, d, , table, rows] = line.split('\t');
    if (e === engine && d === dataset && table && rows) counts.set(table, Number(rows));
  }
  return counts;
}

/** Total rows measured upstream in the databases whose name starts with `prefix`. */
export function upstreamRowTotal(engine: string, dataset: string, prefix: string): number {
  let total = 0;
  for (const line of readFileSync(resolve('../shared/fixtures/ROWCOUNTS.tsv'), 'utf8').split('\n')) {
    const [e, d, database, table, rows] = line.split('\t');
    if (e === engine && d === dataset && database?.startsWith(prefix) && table && rows) total += Number(rows);
  }
  return total;
}

/** Every table of `tables` read through `source`, with its id. */
export async function readTables(source: Source, tables: readonly StreamDescriptor[]): Promise<TableData[]> {
  const out: TableData[] = [];
  for (const t of tables) out.push({ id: tableId(t), batch: await readTable(source, t.table, t.name) });
  return out;
}

/** The `.parquet` files of a fixture folder, sorted. */
export function parquetFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.parquet')).sort();
}

/** A table id for a fixture file: `alltypes_plain.snappy.parquet` -> `alltypes_plain_snappy`. */
export function fileTableId(file: string): string {
  return file.replace(/\.parquet$/, '').replace(/[^A-Za-z0-9_]/g, '_');
}
