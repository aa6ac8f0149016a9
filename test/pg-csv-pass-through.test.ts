import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Destination, ReadRequest } from '../src/core/connector.js';
import type { Column, StreamDescriptor } from '../src/core/schema.js';
import { filesConnector } from '../src/connectors/files/index.js';
import type { PostgresSource } from '../src/connectors/postgres/source.js';
import { sourceFor } from '../src/connectors/postgres/test-support/postgres-test-kit.js';
import { ferryCsvReadOf, fileOpenRequest } from './support/ferry-csv-requests.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { FIXTURES, loadPgTypeTorture } from './support/pg-type-torture.js';

/**
 * PG -> CSV pass-through (raw format `ferry-csv`: Postgres renders the canonical
 * text in SQL and writes the CSV) must give the same bytes as the decoded path
 * (COPY text -> canonical values -> Ferry's CSV writer), over every table of
 * ../shared/fixtures/pg-type-torture and the naughty strings.
 */
const signal = new AbortController().signal;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let db: TestDatabase;
let source: PostgresSource;
let dir: string;
let files: Destination;

beforeAll(async () => {
  db = await createTestDatabase('csvpass');
  loadPgTypeTorture(db.url);
  const strings = JSON.parse(readFileSync(join(FIXTURES, 'naughty-strings/blns.json'), 'utf8')) as string[];
  await db.query('CREATE TABLE naughty (id int, s text, b bytea, flag boolean, t timestamp, tz timestamptz)');
  await db.query(
    `INSERT INTO naughty SELECT i, s, convert_to(s, 'UTF8'), i % 3 = 0, timestamp '2024-02-29 23:59:59.123456' + i * interval '1 day', timestamptz '2024-01-01 00:00:00+05:45' - i * interval '7 hours'
     FROM unnest($1::text[]) WITH ORDINALITY AS u(s, i)`,
    [strings.filter((s) => !s.includes('\u0000'))],
  );
  await db.query(`INSERT INTO naughty VALUES (9001, '', '', NULL, NULL, NULL), (9002, NULL, NULL, true, 'infinity', '-infinity'),
    (9003, E'a\\rb\\r\\nc', '\\x00ff', false, '0044-03-15 12:00:00.5 BC', '0044-03-15 12:00:00 BC'), (9004, '\\.', '\\x5c2e', true, '10000-01-01 00:00:00', '2024-06-01 12:00:00.000001+00'),
    (9005, ',"', decode(repeat('ab', 100), 'hex'), false, '1999-12-31 23:59:59.999999', '1970-01-01 00:00:00+00')`);
  // The edges of the timestamp renderings' fast branch (finite AD values) and of the types' ranges.
  await db.query('CREATE TABLE time_edges (id int, t timestamp, tz timestamptz)');
  await db.query(`INSERT INTO time_edges VALUES (1, 'infinity', 'infinity'), (2, '-infinity', '-infinity'),
    (3, '0001-01-01 00:00:00', '0001-01-01 00:00:00+00'), (4, '0001-12-31 23:59:59.999999 BC', '0001-12-31 23:59:59.999999+00 BC'),
    (5, '294276-12-31 23:59:59.999999', '294276-12-31 23:59:59.999999+00'), (6, '4713-01-01 00:00:00 BC', '4713-01-01 00:00:00+00 BC'),
    (7, '2024-02-29 23:59:59.5', '2024-02-29 23:59:59.5+00'), (8, '9999-12-31 23:59:59.999999', '10000-01-01 00:00:00+00'),
    (9, '2024-01-01 00:00:00', '2023-12-31 23:00:00-01'), (10, NULL, NULL)`);
  source = sourceFor(db.url);
  dir = await mkdtemp(join(tmpdir(), 'ferry-csvpass-'));
  files = filesConnector.createDestination?.(filesConnector.configSchema.parse({ path: dir }), { connection: 'files', projectDir: dir, logger: quiet }) as Destination;
}, 300_000);

afterAll(async () => {
  await source?.close();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function viaDecoded(name: string, request: ReadRequest, columns: readonly Column[]): Promise<{ rows: number; bytes: Buffer }> {
  const writer = await files.open(fileOpenRequest(name, columns, false), signal);
  for await (const batch of source.read(request, signal)) await writer.write(batch);
  const { rows } = await writer.commit(undefined);
  return { rows, bytes: await readFile(join(dir, name)) };
}

async function viaPassThrough(name: string, request: ReadRequest, columns: readonly Column[]): Promise<{ rows: number; bytes: Buffer }> {
  const writer = await files.open(fileOpenRequest(name, columns, true), signal);
  if (!writer.writeRaw) throw new Error(`no pass-through for ${name}`);
  const staged = await writer.writeRaw(source.readRaw(request, 'ferry-csv', signal), signal);
  const { rows } = await writer.commit(undefined);
  expect(staged.rows).toBe(rows);
  return { rows, bytes: await readFile(join(dir, name)) };
}

describe('PG -> CSV pass-through', () => {
  it('writes the bytes of the decoded path for every renderable column of the type torture and the naughty strings', async () => {
    const tables = (await source.discover()).filter((t) => t.table.name !== 'big_generated_table');
    expect(tables.length).toBeGreaterThan(400);
    const differing: string[] = [];
    let compared = 0;
    let rows = 0;
    const kinds = new Set<string>();
    for (const [i, t] of tables.entries()) {
      const renderable = t.columns.filter((c) => !['float32', 'float64', 'timetz'].includes(c.type.kind));
      const request = ferryCsvReadOf(t, renderable);
      const columns = (await source.describe(request.target)).columns;
      expect(source.rawFormatsFor(request, columns), t.name).toContain('ferry-csv');
      const decoded = await viaDecoded(`d${i}.csv`, request, columns);
      const raw = await viaPassThrough(`r${i}.csv`, request, columns);
      if (!decoded.bytes.equals(raw.bytes) || decoded.rows !== raw.rows) differing.push(t.name);
      compared++;
      rows += raw.rows;
      for (const c of columns) kinds.add(c.type.kind);
    }
    expect(differing).toEqual([]);
    expect(compared).toBe(tables.length);
    expect(rows).toBeGreaterThan(131_000);
    expect([...kinds].sort()).toEqual(['boolean', 'bytes', 'date', 'decimal', 'int16', 'int32', 'int64', 'interval', 'json', 'string', 'time', 'timestamp', 'timestamptz', 'uuid']);
  }, 600_000);

  it('lands the hostile strings exactly (the file reads back to the database rows)', async () => {
    const t = (await source.discover()).find((d) => d.table.name === 'naughty') as StreamDescriptor;
    const request: ReadRequest = { stream: 'naughty', target: { kind: 'table', table: t.table }, batchSize: 1000 };
    const raw = await viaPassThrough('naughty.csv', request, t.columns);
    const count = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM naughty');
    expect(raw.rows).toBe(count.rows[0]?.n);
    const text = raw.bytes.toString('utf8');
    expect(text.startsWith('id,s,b,flag,t,tz\n')).toBe(true);
    expect(text).toContain('9002,,,true,infinity,-infinity\n');
    expect(text).toContain('9001,"","",,,\n');
    expect(text).toContain('9003,"a\rb\r\nc",AP8=,false,0044-03-15T12:00:00.5 BC,0044-03-15T12:00:00Z BC\n');
    expect(text).toContain('9004,\\.,XC4=,true,10000-01-01T00:00:00,2024-06-01T12:00:00.000001Z\n');
    expect(text).toContain(`9005,",""",${Buffer.alloc(100, 0xab).toString('base64')},false,`);
  }, 120_000);

  it('renders timestamps at the edges of their ranges and of BC, infinity and five-digit years', async () => {
    const t = (await source.discover()).find((d) => d.table.name === 'time_edges') as StreamDescriptor;
    const request: ReadRequest = { stream: 'time_edges', target: { kind: 'query', sql: 'SELECT * FROM time_edges ORDER BY id' }, batchSize: 1000 };
    const raw = await viaPassThrough('time_edges.csv', request, t.columns);
    const decoded = await viaDecoded('time_edges_decoded.csv', request, t.columns);
    expect(raw.bytes.equals(decoded.bytes)).toBe(true);
    expect(raw.bytes.toString('utf8').split('\n')).toEqual([
      'id,t,tz',
      '1,infinity,infinity',
      '2,-infinity,-infinity',
      '3,0001-01-01T00:00:00,0001-01-01T00:00:00Z',
      '4,0001-12-31T23:59:59.999999 BC,0001-12-31T23:59:59.999999Z BC',
      '5,294276-12-31T23:59:59.999999,294276-12-31T23:59:59.999999Z',
      '6,4713-01-01T00:00:00 BC,4713-01-01T00:00:00Z BC',
      '7,2024-02-29T23:59:59.5,2024-02-29T23:59:59.5Z',
      '8,9999-12-31T23:59:59.999999,10000-01-01T00:00:00Z',
      '9,2024-01-01T00:00:00,2024-01-01T00:00:00Z',
      '10,,',
      '',
    ]);
  }, 120_000);

  it('is not offered for floats, timetz or a single column', async () => {
    const col = (name: string, kind: Column['type']['kind']): Column => ({ name, type: { kind }, nullable: true });
    const request: ReadRequest = { stream: 'x', target: { kind: 'table', table: { name: 'x' } }, batchSize: 1 };
    expect(source.rawFormatsFor(request, [col('a', 'int32'), col('b', 'float64')])).toEqual(['pg-copy-data', 'pg-binary']);
    expect(source.rawFormatsFor(request, [col('a', 'int32'), col('b', 'timetz')])).toEqual(['pg-copy-data', 'pg-binary']);
    expect(source.rawFormatsFor(request, [col('a', 'string')])).toEqual(['pg-copy-data', 'pg-binary']);
    expect(source.rawFormatsFor(request, [col('a', 'string'), col('b', 'timestamptz')])).toEqual(['pg-copy-data', 'pg-binary', 'ferry-csv']);
  });
});
