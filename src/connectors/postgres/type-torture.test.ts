import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamDescriptor } from '../../core/schema.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.js';
import type { PostgresDestination } from './destination.js';
import { quoteIdent, quoteTable } from './identifiers.js';
import type { PostgresSource } from './source.js';
import { destinationFor, openRequest, sourceFor, tableRead } from './test-support/postgres-test-kit.js';

/**
 * Every table of ../shared/fixtures/pg-type-torture goes through the decoded
 * path (COPY text -> canonical values -> COPY text) into schema `rt` of the
 * same database, then is compared with the original as text, both ways
 * (EXCEPT ALL), so every value must be exact.
 */
const FIXTURES = resolve('../shared/fixtures/pg-type-torture');
const BIG = 'big_generated_table';

let db: TestDatabase;
let source: PostgresSource;
let destination: PostgresDestination;
let tables: StreamDescriptor[];
const signal = new AbortController().signal;

beforeAll(async () => {
  db = await createTestDatabase('pgtorture');
  for (const file of ['all_pg_types.sql', 'decimals.sql', 'other.sql']) {
    execFileSync('psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-d', db.url, '-f', join(FIXTURES, file)], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  source = sourceFor(db.url);
  destination = destinationFor(db.url, { schema: 'rt' });
  tables = await source.discover();
}, 300_000);

afterAll(async () => {
  await destination?.close();
  await source?.close();
  await db?.drop();
});

/** Per-table row counts measured upstream (fixtures/ROWCOUNTS.tsv). */
function expectedCounts(tables: readonly StreamDescriptor[]): Map<string, number> {
  const lines = readFileSync(resolve(FIXTURES, '../ROWCOUNTS.tsv'), 'utf8').split('\n');
  const known = new Map<string, number>();
  for (const line of lines) {
    const [engine, dataset, , table, rows] = line.split('\t');
    if (engine === 'postgres15' && dataset === 'pg-type-torture' && table && rows) known.set(table, Number(rows));
  }
  return new Map(tables.map((t) => [t.name, known.get(t.name) ?? -1]));
}

function targetName(t: StreamDescriptor): string {
  return t.table.schema === 'public' ? t.table.name : `${t.table.schema}_${t.table.name}`;
}

async function differences(t: StreamDescriptor): Promise<number> {
  const list = t.columns.map((c) => `${quoteIdent(c.name)}::text`).join(', ');
  const a = quoteTable(t.table);
  const b = quoteTable({ schema: 'rt', name: targetName(t) });
  if (t.columns.length === 0) {
    const counts = await db.query<{ a: number; b: number }>(`SELECT (SELECT count(*)::int FROM ${a}) AS a, (SELECT count(*)::int FROM ${b}) AS b`);
    return Math.abs((counts.rows[0]?.a ?? 0) - (counts.rows[0]?.b ?? -1));
  }
  const sql = `SELECT count(*)::int AS n FROM ((SELECT ${list} FROM ${a} EXCEPT ALL SELECT ${list} FROM ${b}) UNION ALL (SELECT ${list} FROM ${b} EXCEPT ALL SELECT ${list} FROM ${a})) d`;
  return (await db.query<{ n: number }>(sql)).rows[0]?.n ?? -1;
}

describe('pg-type-torture', () => {
  it('round-trips every table value-exact through the decoded path', async () => {
    const mismatched: string[] = [];
    const copied = tables.filter((t) => t.table.name !== BIG);
    expect(copied.length).toBeGreaterThan(400);
    let total = 0;
    const counts = new Map<string, number>();
    for (const t of copied) {
      counts.set(t.name, 0);
      const writer = await destination.open(openRequest({ sync: 'torture', stream: t.name, target: { schema: 'rt', name: targetName(t) }, columns: t.columns, write: 'replace' }), signal);
      for await (const batch of source.read(tableRead(t.table.schema ?? 'public', t.table.name, { batchSize: 5000 }), signal)) {
        await writer.write(batch);
        total += batch.rows.length;
        counts.set(t.name, (counts.get(t.name) ?? 0) + batch.rows.length);
      }
      await writer.commit(undefined);
      const diff = await differences(t);
      if (diff !== 0) mismatched.push(`${t.name}: ${diff} rows differ`);
    }
    expect(mismatched).toEqual([]);
    expect(counts).toEqual(expectedCounts(copied));
    expect(total).toBe(131_159);
  }, 600_000);

  it('keeps exact native types for built-in types and documents the text fallback for user types', async () => {
    const result = await db.query<{ name: string; src: string; dst: string }>(`
      SELECT c.relname || '.' || a.attname AS name, format_type(a.atttypid, a.atttypmod) AS src, format_type(b.atttypid, b.atttypmod) AS dst
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_class c2 ON c2.relname = c.relname JOIN pg_namespace n2 ON n2.oid = c2.relnamespace AND n2.nspname = 'rt'
      JOIN pg_attribute b ON b.attrelid = c2.oid AND b.attname = a.attname
      JOIN pg_type t ON t.oid = a.atttypid
      WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped`);
    expect(result.rows.length).toBeGreaterThan(400);
    const changed = result.rows.filter((r) => r.src !== r.dst);
    // Only user-defined types (enums, composites, domains and arrays of them) become text.
    for (const r of changed) expect(r.dst, r.name).toBe('text');
    expect(changed.map((r) => r.src).sort()).toEqual(expect.arrayContaining(['color_t', 'enum_type[]', 'inventory_item', 'inventory_item[]', 'my_id']));
    const numericKept = result.rows.find((r) => r.name === 'pg_numtypes.decimal_col');
    expect(numericKept).toEqual({ name: 'pg_numtypes.decimal_col', src: 'numeric(4,1)', dst: 'numeric(4,1)' });
  });

  it(`copies ${BIG} once through binary pass-through`, async () => {
    const big = tables.find((t) => t.table.name === BIG);
    if (!big) throw new Error(`${BIG} not discovered`);
    const writer = await destination.open(openRequest({ sync: 'torture', stream: big.name, target: { schema: 'rt', name: BIG }, columns: big.columns, write: 'replace', rawFormat: 'pg-binary' }), signal);
    if (!writer.writeRaw) throw new Error('pass-through not offered for built-in types');
    const request = tableRead('public', BIG, { columns: big.columns.map((c) => c.name) });
    const staged = await writer.writeRaw(source.readRaw(request, 'pg-binary', signal), signal);
    expect(staged.rows).toBe(1_000_000);
    expect((await writer.commit(undefined)).rows).toBe(1_000_000);
    const count = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM rt.${BIG}`);
    expect(count.rows[0]?.n).toBe(1_000_000);
    expect(await differences({ ...big, table: { schema: 'public', name: BIG } })).toBe(0);
  }, 300_000);
});
