import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ConnectionError } from '../../core/errors.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.js';
import { postgresConnector } from './index.js';
import type { PostgresSource } from './source.js';
import { readAll, sourceFor, tableRead, testContext } from './test-support/postgres-test-kit.js';

let db: TestDatabase;
let source: PostgresSource;

beforeAll(async () => {
  db = await createTestDatabase('pgsrc');
  await db.query(`
    CREATE SCHEMA "Sales Dept";
    CREATE TABLE "Sales Dept"."Order ""Items""" ("Order Id" bigint, "Line" int, "MyColumn" text, mycolumn text, "ünï" text, PRIMARY KEY ("Line", "Order Id"));
    INSERT INTO "Sales Dept"."Order ""Items""" VALUES (1, 1, 'upper', 'lower', 'ü'), (1, 2, 'U2', 'l2', NULL);
    CREATE TABLE "SameCaseName" (id int PRIMARY KEY, v text);
    CREATE TABLE samecasename (id int, v text);
    INSERT INTO "SameCaseName" VALUES (1, 'mixed');
    INSERT INTO samecasename VALUES (2, 'lower'), (3, 'lower');
    CREATE TABLE events (id bigint PRIMARY KEY, kind text NOT NULL, at timestamptz, amount numeric(12,2), tag varchar(20), raw bytea);
    INSERT INTO events SELECT g, CASE WHEN g % 2 = 0 THEN 'even' ELSE 'odd' END,
      CASE WHEN g % 10 = 0 THEN NULL ELSE timestamptz '2024-01-01 00:00:00+00' + g * interval '1 hour' + interval '0.000123 second' END,
      g * 1.25, 'tag''' || g, decode('00ff' || lpad(to_hex(g), 4, '0'), 'hex') FROM generate_series(1, 100) g;
    CREATE VIEW even_events AS SELECT id, kind FROM events WHERE kind = 'even';
    CREATE MATERIALIZED VIEW event_counts AS SELECT kind, count(*) AS n FROM events GROUP BY kind;
    CREATE TABLE measures (city text, at date, v float8) PARTITION BY RANGE (at);
    CREATE TABLE measures_2024 PARTITION OF measures FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    INSERT INTO measures VALUES ('x', '2024-05-01', 1.5);
    CREATE TABLE big (id bigint, pad text);
    INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 300000) g;
    ANALYZE events;
  `);
  source = sourceFor(db.url);
});

afterAll(async () => {
  await source?.close();
  await db?.drop();
});

describe('connect', () => {
  it('opens a session ahead of planning, which the next query reuses; a bad address fails as a query would', async () => {
    const fresh = sourceFor(db.url);
    const sessions = async (): Promise<number> => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = \'client backend\'')).rows[0]?.n);
    const before = await sessions();
    try {
      await fresh.connect();
      expect(await sessions()).toBe(before + 1);
      await fresh.describe({ kind: 'table', table: { name: 'events' } });
      expect(await sessions()).toBe(before + 1);
    } finally {
      await fresh.close();
    }
    const unreachable = sourceFor('postgres://postgres@127.0.0.1:1/none');
    try {
      await expect(unreachable.connect()).rejects.toThrow(/127\.0\.0\.1:1/);
    } finally {
      await unreachable.close();
    }
  });
});

describe('discover', () => {
  it('lists tables, views, matviews and partitioned tables with exact names, types and keys', async () => {
    const streams = await source.discover();
    const names = streams.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['Sales Dept.Order "Items"', 'public.SameCaseName', 'public.samecasename', 'public.events', 'public.even_events', 'public.event_counts', 'public.measures']));
    expect(names).not.toContain('public.measures_2024');
    const items = streams.find((s) => s.name === 'Sales Dept.Order "Items"');
    expect(items?.table).toEqual({ schema: 'Sales Dept', name: 'Order "Items"' });
    expect(items?.columns.map((c) => c.name)).toEqual(['Order Id', 'Line', 'MyColumn', 'mycolumn', 'ünï']);
    expect(items?.primaryKey).toEqual(['Line', 'Order Id']);
    const events = streams.find((s) => s.name === 'public.events');
    expect(events?.estimatedRows).toBe(100);
    expect(events?.columns).toEqual([
      { name: 'id', type: { kind: 'int64' }, nullable: false, sourceType: 'bigint', sourceEngine: 'postgres' },
      { name: 'kind', type: { kind: 'string' }, nullable: false, sourceType: 'text', sourceEngine: 'postgres' },
      { name: 'at', type: { kind: 'timestamptz' }, nullable: true, sourceType: 'timestamp with time zone', sourceEngine: 'postgres' },
      { name: 'amount', type: { kind: 'decimal', precision: 12, scale: 2 }, nullable: true, sourceType: 'numeric(12,2)', sourceEngine: 'postgres' },
      { name: 'tag', type: { kind: 'string', length: 20 }, nullable: true, sourceType: 'character varying(20)', sourceEngine: 'postgres' },
      { name: 'raw', type: { kind: 'bytes' }, nullable: true, sourceType: 'bytea', sourceEngine: 'postgres' },
    ]);
    expect(streams.find((s) => s.name === 'public.SameCaseName')?.primaryKey).toEqual(['id']);
    expect(streams.find((s) => s.name === 'public.samecasename')?.primaryKey).toEqual([]);
  });

  it('describes one table, and names close matches when it does not exist', async () => {
    const d = await source.describe({ kind: 'table', table: { name: 'SameCaseName' } });
    expect(d.primaryKey).toEqual(['id']);
    const error = await source.describe({ kind: 'table', table: { schema: 'public', name: 'Events' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('public.Events does not exist');
    expect((error as ConfigError).context.hint).toContain('public.events');
  });

  it('describes a query by its result types', async () => {
    const d = await source.describe({ kind: 'query', sql: 'select id, amount * 2 as doubled, tag::varchar(5) as t, now() as ts, ARRAY[1,2] as arr from events;' });
    expect(d.columns.map((c) => [c.name, c.type.kind, c.sourceType])).toEqual([
      ['id', 'int64', 'bigint'],
      ['doubled', 'decimal', 'numeric'],
      ['t', 'string', 'character varying(5)'],
      ['ts', 'timestamptz', 'timestamp with time zone'],
      ['arr', 'string', 'integer[]'],
    ]);
    await expect(source.describe({ kind: 'query', sql: 'select nope from events' })).rejects.toBeInstanceOf(ConfigError);
    await expect(source.describe({ kind: 'query', sql: 'select id, id from events' })).rejects.toThrow(/two columns named "id"/);
  });
});

describe('read', () => {
  it('reads mixed-case and odd names exactly', async () => {
    const { rows, columns } = await readAll(source, tableRead('Sales Dept', 'Order "Items"'));
    expect(columns.map((c) => c.name)).toEqual(['Order Id', 'Line', 'MyColumn', 'mycolumn', 'ünï']);
    expect(rows).toEqual([
      [1n, 1, 'upper', 'lower', 'ü'],
      [1n, 2, 'U2', 'l2', null],
    ]);
    expect((await readAll(source, tableRead('public', 'SameCaseName'))).rows).toEqual([[1, 'mixed']]);
    expect((await readAll(source, tableRead('public', 'samecasename'))).rows).toEqual([[2, 'lower'], [3, 'lower']]);
  });

  it('reads selected columns with a where clause and an inclusive cursor, in batches of batchSize', async () => {
    const request = tableRead('public', 'events', {
      columns: ['at', 'id', 'raw', 'tag'],
      where: "kind = 'even'",
      cursor: { column: 'at', type: { kind: 'timestamptz' }, from: '2024-01-03T02:00:00.000123Z', includeNulls: false },
      batchSize: 7,
    });
    const { rows, columns, batches } = await readAll(source, request);
    expect(columns.map((c) => c.name)).toEqual(['at', 'id', 'raw', 'tag']);
    // ids 50..100, even, not multiples of 10 (their cursor is NULL)
    const ids = rows.map((r) => r[1]);
    expect(ids[0]).toBe(52n);
    expect(ids).toEqual(Array.from({ length: 51 }, (_, i) => BigInt(50 + i)).filter((i) => i % 2n === 0n && i % 10n !== 0n));
    expect(batches).toBe(Math.ceil(rows.length / 7));
    expect(rows[0]).toEqual(['2024-01-03T04:00:00.000123Z', 52n, Buffer.from([0, 255, 0, 0x34]), "tag'52"]);
    expect(await source.count(request)).toBe(rows.length);
    expect(source.readSql(request)).toBe(
      `COPY (SELECT "at", "id", "raw", "tag" FROM "public"."events" WHERE (kind = 'even') AND "at" >= '2024-01-03T02:00:00.000123Z'::timestamp with time zone) TO STDOUT`,
    );
  });

  it('caps a batch at about a megabyte of rows, whatever batchSize asks, and still reads every row once', async () => {
    const sizes: number[] = [];
    let sum = 0n;
    for await (const batch of source.read(tableRead('public', 'big', { columns: ['id', 'pad'], batchSize: 100_000 }), new AbortController().signal)) {
      sizes.push(batch.rows.length);
      for (const row of batch.rows) sum += row[0] as bigint;
    }
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(300_000);
    expect(sum).toBe((300_000n * 300_001n) / 2n);
    // Rows of ~210 bytes of COPY text: a megabyte holds about 5,000 of them (plus one socket chunk).
    expect(Math.max(...sizes)).toBeLessThan(6_000);
    expect(sizes.length).toBeGreaterThan(50);
  });

  it('estimates the rows of a read from the planner, narrowed by its cursor window, without reading them', async () => {
    const whole = await source.estimateRows(tableRead('public', 'events'));
    expect(whole).toBe(100);
    const cursor = { column: 'id', type: { kind: 'int64' }, from: 91n, includeNulls: false } as const;
    const window = await source.estimateRows(tableRead('public', 'events', { cursor }));
    // ANALYZEd: the planner's estimate of ids 91..100 is close to the 10 rows there are.
    expect(window).toBeGreaterThanOrEqual(5);
    expect(window).toBeLessThanOrEqual(20);
    await expect(source.estimateRows(tableRead('public', 'no_such_table'))).rejects.toThrow(/no_such_table/);
  });

  it('adds rows with a NULL cursor when asked, and quotes hostile cursor values', async () => {
    const nulls = tableRead('public', 'events', { columns: ['id'], cursor: { column: 'at', type: { kind: 'timestamptz' }, from: '2024-01-05T00:00:00Z', includeNulls: true } });
    const ids = (await readAll(source, nulls)).rows.map((r) => Number(r[0]));
    expect(ids.filter((i) => i < 96)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(ids.filter((i) => i >= 96)).toEqual([96, 97, 98, 99, 100]);
    const hostile = tableRead('public', 'events', { columns: ['id'], cursor: { column: 'tag', type: { kind: 'string' }, from: "tag'99", includeNulls: false } });
    expect((await readAll(source, hostile)).rows).toEqual([[99n]]);
    const injection = tableRead('public', 'events', { columns: ['id'], cursor: { column: 'kind', type: { kind: 'string' }, from: "z' OR '1'='1", includeNulls: false } });
    expect((await readAll(source, injection)).rows).toEqual([]);
  });

  it('reads a query with a cursor, and an empty result still yields its columns', async () => {
    const request = { stream: 'q', target: { kind: 'query' as const, sql: 'select id, amount from events -- trailing comment' }, batchSize: 100, cursor: { column: 'amount', type: { kind: 'decimal' as const }, from: '123.75', includeNulls: false } };
    const { rows } = await readAll(source, request);
    expect(rows).toEqual([[99n, '123.75'], [100n, '125.00']]);
    const empty = await readAll(source, { ...request, where: 'false' });
    expect(empty.rows).toEqual([]);
    expect(empty.columns.map((c) => c.name)).toEqual(['id', 'amount']);
    expect(empty.batches).toBe(1);
  });

  it('reads views, materialized views and partitioned tables', async () => {
    expect((await readAll(source, tableRead('public', 'even_events'))).rows).toHaveLength(50);
    expect((await readAll(source, tableRead('public', 'event_counts'))).rows.sort()).toEqual([['even', 50n], ['odd', 50n]]);
    expect((await readAll(source, tableRead('public', 'measures'))).rows).toEqual([['x', '2024-05-01', 1.5]]);
  });

  it('does not read ahead: the COPY is still running after the first batch', async () => {
    const iterator = source.read(tableRead('public', 'big', { batchSize: 1000 }), new AbortController().signal)[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    // batchSize is an upper bound: a read slower than HANDOVER_MS hands over what it has (64 KiB or more).
    if (!first.done) expect(first.value.rows.length).toBeGreaterThan(0);
    if (!first.done) expect(first.value.rows.length).toBeLessThanOrEqual(1000);
    await new Promise((r) => setTimeout(r, 300));
    const active = await db.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'COPY (SELECT * FROM "public"."big"%' AND state = 'active'`);
    expect(Number(active.rows[0]?.n)).toBe(1);
    await iterator.return?.();
    await new Promise((r) => setTimeout(r, 300));
    const after = await db.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'COPY (SELECT * FROM "public"."big"%'`);
    expect(Number(after.rows[0]?.n)).toBe(0);
  });

  it('stops on abort and releases the connection', async () => {
    const controller = new AbortController();
    let seen = 0;
    const reading = (async () => {
      for await (const batch of source.read(tableRead('public', 'big', { batchSize: 500 }), controller.signal)) {
        seen += batch.rows.length;
        if (seen >= 2000) controller.abort();
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await expect(reading).rejects.toThrow(/cancelled/);
    expect(seen).toBeLessThan(300000);
    await new Promise((r) => setTimeout(r, 300));
    const left = await db.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'COPY (SELECT * FROM "public"."big"%'`);
    expect(Number(left.rows[0]?.n)).toBe(0);
  });

  it('streams binary COPY bytes for pass-through', async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of source.readRaw(tableRead('public', 'events', { columns: ['id'] }), 'pg-binary', new AbortController().signal)) chunks.push(Buffer.from(chunk));
    const bytes = Buffer.concat(chunks);
    expect(bytes.subarray(0, 11).toString('latin1')).toBe('PGCOPY\n\xff\r\n\0');
    // header 19 bytes + 100 rows * (2 + 4 + 8) + trailer 2
    expect(bytes.length).toBe(19 + 100 * 14 + 2);
  });
});

describe('check', () => {
  it('passes on a reachable database and fails with a redacted ConnectionError otherwise', async () => {
    await postgresConnector.check(postgresConnector.configSchema.parse({ url: db.url }), testContext);
    const bad = postgresConnector.configSchema.parse({ url: 'postgres://someone:hunter2@127.0.0.1:1/nowhere' });
    const error = await postgresConnector.check(bad, testContext).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).message).not.toContain('hunter2');
    expect((error as ConnectionError).message).toContain('127.0.0.1:1');
    expect((error as ConnectionError).context.hint).toMatch(/running/);
  });

  it('validates config: url or host', () => {
    expect(postgresConnector.configSchema.safeParse({ schema: 'x' }).success).toBe(false);
    const parsed = postgresConnector.configSchema.parse({ host: 'db', user: 'u', database: 'd' });
    expect(parsed).toMatchObject({ host: 'db', port: 5432, schema: 'public', application_name: 'ferry' });
  });
});
