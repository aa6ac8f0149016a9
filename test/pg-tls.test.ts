import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawFormat } from '../src/core/connector.js';
import type { PostgresSource } from '../src/connectors/postgres/source.js';
import { readAll, sourceFor, tableRead } from '../src/connectors/postgres/test-support/postgres-test-kit.js';
import { createTestDatabase, PG_BASE, type TestDatabase } from './support/postgres.js';

/**
 * Ferry's COPY reader takes the connection's socket over while a COPY runs and
 * moves rows within the buffers it reads: over TLS those are the decrypted
 * buffers. .ci/run has the local server offer TLS (a self-signed certificate);
 * in CI this runs always, elsewhere when the server offers TLS.
 */
async function serverOffersTls(): Promise<boolean> {
  const client = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
  await client.connect();
  try {
    return (await client.query<{ ssl: string }>('SHOW ssl')).rows[0]?.ssl === 'on';
  } finally {
    await client.end();
  }
}

const tls = await serverOffersTls();

describe.runIf(tls || process.env.CI === 'true')('reads over TLS', () => {
  let db: TestDatabase;
  let plain: PostgresSource;
  let secure: PostgresSource;

  beforeAll(async () => {
    db = await createTestDatabase('tls');
    await db.query(`CREATE TABLE t (id bigint PRIMARY KEY, note text, at timestamptz, flag bool, raw bytea);
      INSERT INTO t SELECT g, CASE WHEN g % 20000 = 0 THEN repeat('z', 2000000) WHEN g % 7 = 0 THEN E'quote " comma , line\\n' || g ELSE md5(g::text) END,
        CASE WHEN g % 11 = 0 THEN NULL ELSE timestamptz '2024-01-01 00:00:00+00' + g * interval '1.5 second' END, g % 2 = 0, decode(md5(g::text), 'hex')
      FROM generate_series(1, 100000) g`);
    plain = sourceFor(db.url);
    // A self-signed certificate: encrypted, not verified (sslmode=no-verify).
    secure = sourceFor(`${db.url}?sslmode=no-verify`);
  });

  afterAll(async () => {
    await plain?.close();
    await secure?.close();
    await db?.drop();
  });

  it('runs on an encrypted session', async () => {
    const result = await secure.execute('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    expect(result.rows).toEqual([[true]]);
  });

  it('decodes the same rows as over a plain connection', async () => {
    const [a, b] = [await readAll(plain, tableRead('public', 't')), await readAll(secure, tableRead('public', 't'))];
    expect(b.rows).toHaveLength(100000);
    expect(b.rows).toEqual(a.rows);
  });

  it('passes the same bytes through in every raw format, rows longer than many reads included', async () => {
    const bytes = async (source: PostgresSource, format: RawFormat): Promise<Buffer> => {
      const parts: Buffer[] = [];
      for await (const part of source.readRaw?.(tableRead('public', 't'), format, new AbortController().signal) ?? []) parts.push(Buffer.from(part));
      return Buffer.concat(parts);
    };
    for (const format of ['ferry-csv', 'pg-copy-data', 'pg-binary'] as const) {
      const [a, b] = [await bytes(plain, format), await bytes(secure, format)];
      expect(b.length, format).toBeGreaterThan(10_000_000);
      expect(b.equals(a), format).toBe(true);
    }
    // The canonical CSV's timestamps were rendered by the client on the way.
    expect((await bytes(secure, 'ferry-csv')).toString('utf8')).toContain(',2024-01-01T00:00:01.5Z,false,');
  });
});
