import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.js';
import type { PostgresDestination } from './destination.js';
import type { PostgresSource } from './source.js';
import { destinationFor, openRequest, sourceFor, tableRead } from './test-support/postgres-test-kit.js';

/**
 * Decode and encode throughput on a 1M-row mixed table (the columns of
 * bench/pg-to-pg.mjs). Prints rows/s; asserts the data, not the speed.
 */
const ROWS = 1_000_000;
let db: TestDatabase;
let source: PostgresSource;
let destination: PostgresDestination;

beforeAll(async () => {
  db = await createTestDatabase('pgspeed');
  await db.query('CREATE TABLE mixed (id bigint PRIMARY KEY, n int, ts timestamptz, amount numeric(12,2), note text, doc jsonb, flag bool, uid uuid)');
  await db.query(`INSERT INTO mixed SELECT g, (g % 100000)::int, timestamptz '2020-01-01' + g * interval '1.000001 second',
    round((g % 1000000) / 100.0, 2), 'note ' || md5(g::text), jsonb_build_object('k', g, 'tag', 't' || (g % 7)), g % 2 = 0,
    md5(g::text)::uuid FROM generate_series(1, ${ROWS}) g`);
  source = sourceFor(db.url);
  destination = destinationFor(db.url, { schema: 'speed' });
}, 300_000);

afterAll(async () => {
  await destination?.close();
  await source?.close();
  await db?.drop();
});

describe('throughput', () => {
  it('decodes 1M mixed rows and encodes them back', async () => {
    const columns = (await source.describe({ kind: 'table', table: { schema: 'public', name: 'mixed' } })).columns;
    const writer = await destination.open(openRequest({ target: { schema: 'speed', name: 'mixed' }, columns, write: 'replace' }), new AbortController().signal);
    let count = 0;
    let sum = 0n;
    let readMs = 0;
    let writeMs = 0;
    let mark = performance.now();
    for await (const batch of source.read(tableRead('public', 'mixed', { batchSize: 10_000 }), new AbortController().signal)) {
      readMs += performance.now() - mark;
      for (const row of batch.rows) sum += row[0] as bigint;
      count += batch.rows.length;
      mark = performance.now();
      await writer.write(batch);
      writeMs += performance.now() - mark;
      mark = performance.now();
    }
    const commit = await writer.commit(undefined);
    expect(count).toBe(ROWS);
    expect(sum).toBe(BigInt(ROWS) * BigInt(ROWS + 1) / 2n);
    expect(commit.rows).toBe(ROWS);
    const diff = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM (SELECT * FROM public.mixed EXCEPT SELECT * FROM speed.mixed) d');
    expect(diff.rows[0]?.n).toBe(0);
    console.log(`read+decode ${Math.round(ROWS / (readMs / 1000)).toLocaleString('en-US')} rows/s; encode+stage ${Math.round(ROWS / (writeMs / 1000)).toLocaleString('en-US')} rows/s`);
  }, 300_000);
});
