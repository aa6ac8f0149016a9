import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { ConfigError, ConnectionError, FerryError } from '../core/errors.js';
import { LATEST_STATE_VERSION } from './migrations.js';
import { openStateStore } from './open-state-store.js';
import type { StateStore } from './state-store.js';

const TABLES = [
  'ferry_api_keys',
  'ferry_audit_log',
  'ferry_checkpoints',
  'ferry_locks',
  'ferry_migrations',
  'ferry_pauses',
  'ferry_run_hooks',
  'ferry_run_logs',
  'ferry_run_streams',
  'ferry_run_watermarks',
  'ferry_runs',
  'ferry_schedules',
  'ferry_secrets',
  'ferry_users',
];
const VERSIONS = Array.from({ length: LATEST_STATE_VERSION }, (_, i) => i + 1);

let dir = '';
let database: TestDatabase | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-open-state-'));
  database = await createTestDatabase('open_state');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await database?.drop();
});

async function roundTrip(store: StateStore, id: string): Promise<void> {
  try {
    await store.createRun({ id, sync: 'shop', status: 'running', options: {} });
    expect((await store.getRun(id))?.status).toBe('running');
  } finally {
    await store.close();
  }
}

async function thrown(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('openStateStore with SQLite', () => {
  it('creates .ferry/state.db in WAL mode with every table, and reopening keeps the data', async () => {
    const project = join(dir, 'project');
    await roundTrip(await openStateStore('sqlite:.ferry/state.db', project), 'run-1');
    const file = join(project, '.ferry', 'state.db');
    expect(existsSync(file)).toBe(true);
    const raw = new Database(file, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      const tables = raw.prepare("select name from sqlite_master where type = 'table' and name like 'ferry_%' order by name").pluck().all();
      expect(tables).toEqual(TABLES);
      expect(raw.prepare('select version from ferry_migrations order by version').pluck().all()).toEqual(VERSIONS);
    } finally {
      raw.close();
    }
    const again = await openStateStore(`sqlite:${file}`, '/elsewhere');
    try {
      expect((await again.getRun('run-1'))?.sync).toBe('shop');
    } finally {
      await again.close();
    }
  });

  it('migrates a new file once when several stores open it at the same time', async () => {
    const stores = await Promise.all([1, 2, 3].map(() => openStateStore('sqlite:race/state.db', dir)));
    await Promise.all(stores.map((s) => s.close()));
    const raw = new Database(join(dir, 'race', 'state.db'), { readonly: true });
    try {
      expect(raw.prepare('select version from ferry_migrations order by version').pluck().all()).toEqual(VERSIONS);
    } finally {
      raw.close();
    }
  });

  it('opens sqlite::memory: without touching the disk', async () => {
    await roundTrip(await openStateStore('sqlite::memory:', join(dir, 'nowhere')), 'mem-1');
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
  });

  it('reports a file that is not a database as a ConnectionError with a hint', async () => {
    await writeFile(join(dir, 'junk.db'), 'this is not sqlite '.repeat(100));
    const error = await thrown(openStateStore('sqlite:junk.db', dir));
    expect(error).toBeInstanceOf(ConnectionError);
    const ferry = error as ConnectionError;
    expect(ferry.message).toContain(`SQLite state store ${join(dir, 'junk.db')}`);
    expect(ferry.exitCode).toBe(3);
    expect(ferry.context.hint).toMatch(/SQLite database/);
    expect(ferry.cause).toBeInstanceOf(Error);
  });

  it('rejects an unknown URL kind as a ConfigError without the password', async () => {
    const error = await thrown(openStateStore('mysql://ferry:s3cret@db/state', dir));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as FerryError).message).not.toContain('s3cret');
    expect((error as FerryError).message).toContain('mysql://ferry:***@db/state');
    expect((error as FerryError).context.hint).toContain('postgres://');
  });
});

describe('openStateStore with Postgres', () => {
  const base = (): string => database?.url ?? '';

  it('puts the tables in ?schema= and migrates once under concurrent opens', async () => {
    const url = `${base()}?schema=ferry_state`;
    const stores = await Promise.all([1, 2, 3].map(() => openStateStore(url, dir)));
    await Promise.all(stores.map((s) => s.close()));
    const tables = await database?.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'ferry_state' order by table_name",
    );
    expect(tables?.rows.map((r) => r.table_name)).toEqual(TABLES);
    const versions = await database?.query<{ version: number }>('select version from ferry_state.ferry_migrations order by version');
    expect(versions?.rows.map((r) => r.version)).toEqual(VERSIONS);
    await roundTrip(await openStateStore(url.replace('postgres://', 'postgresql://'), dir), 'pg-1');
    const runs = await database?.query<{ id: string; rows_read: string }>('select id, rows_read from ferry_state.ferry_runs');
    expect(runs?.rows).toEqual([{ id: 'pg-1', rows_read: '0' }]);
  });

  it('uses bigint columns for counters and seq', async () => {
    const store = await openStateStore(base(), dir);
    await store.close();
    const types = await database?.query<{ column: string; data_type: string }>(
      `select table_name || '.' || column_name as column, data_type from information_schema.columns
        where table_schema = 'public' and column_name in ('rows_read', 'seq') order by 1`,
    );
    expect(types?.rows).toEqual([
      { column: 'ferry_checkpoints.seq', data_type: 'bigint' },
      { column: 'ferry_run_hooks.seq', data_type: 'bigint' },
      { column: 'ferry_run_logs.seq', data_type: 'bigint' },
      { column: 'ferry_run_streams.rows_read', data_type: 'bigint' },
      { column: 'ferry_runs.rows_read', data_type: 'bigint' },
    ]);
  });

  it('reports an unreachable server as a ConnectionError with the password redacted', async () => {
    const error = await thrown(openStateStore('postgres://ferry:hunter2@127.0.0.1:1/state', dir));
    expect(error).toBeInstanceOf(ConnectionError);
    const ferry = error as ConnectionError;
    expect(ferry.message).toContain('Postgres state store postgres://ferry:***@127.0.0.1:1/state');
    expect(ferry.describe()).not.toContain('hunter2');
    expect(ferry.context.hint).toMatch(/reachable/);
    expect(ferry.exitCode).toBe(3);
  });

  it('reports a missing database as a ConnectionError', async () => {
    const error = await thrown(openStateStore(`${base()}_missing`, dir));
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(/does not exist/);
  });

  it('rejects a schema that is not a plain identifier', async () => {
    expect(await thrown(openStateStore(`${base()}?schema=x;drop`, dir))).toBeInstanceOf(ConfigError);
    expect(await thrown(openStateStore(`${base()}?schema=Ferry`, dir))).toBeInstanceOf(ConfigError);
  });
});
