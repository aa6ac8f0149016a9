import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Project, StreamConfig } from '../../src/config/project.js';
import { cdcSettingsSchema } from '../../src/config/cdc-schema.js';
import type { ChangeCapture } from '../../src/core/change-capture.js';
import type { ConnectorDefinition } from '../../src/core/connector.js';
import { postgresConnector, type PostgresConfig } from '../../src/connectors/postgres/index.js';
import { builtinConnectors, type ConnectorRegistry } from '../../src/connectors/registry.js';
import { runSync, type RunResult, type RunSyncOptions } from '../../src/engine/run-sync.js';
import { openStateStore } from '../../src/state/index.js';
import type { StateStore } from '../../src/state/state-store.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { srcDstProject } from '../support/src-dst-project.js';
import { withDuckDb } from '../support/with-duckdb.js';

const at = { file: 'syncs/c.yml', line: 1, column: 1 };

export type DestinationKind = 'postgres' | 'sqlite' | 'duckdb';

/** A source database, a destination, a state store and a uniquely named slot/publication; `close()` drops them all. */
export interface CdcFixture {
  readonly source: TestDatabase;
  /** The destination database (Postgres destinations only). */
  readonly target: TestDatabase | undefined;
  readonly slot: string;
  readonly dir: string;
  readonly state: StateStore;
  project(streams: readonly Partial<StreamConfig>[], cdc?: Partial<Record<string, unknown>>): Project;
  run(project: Project, registry?: ConnectorRegistry, options?: Partial<RunSyncOptions>): Promise<RunResult>;
  readonly kind: DestinationKind;
  /** Rows a query returns from the destination, as its driver gives them (DuckDB BIGINT as bigint, SQLite integers as numbers). */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** Rows of a destination table, ordered by the first column. */
  rows(table: string, columns?: string): Promise<Record<string, unknown>[]>;
  /** Ferry's own columns (`_ferry_*`) of a destination table, name -> declared type, in table order. */
  ferryColumnTypes(table: string): Promise<Record<string, string>>;
  /** Ferry's cdc columns of every row, ordered by `id` (a column the table lacks reads as undefined). */
  ferryRows(table: string): Promise<FerryRow[]>;
  close(): Promise<void>;
}

export async function cdcFixture(prefix: string, kind: DestinationKind = 'postgres'): Promise<CdcFixture> {
  const source = await createTestDatabase(`cdc_${prefix}`);
  const target = kind === 'postgres' ? await createTestDatabase(`cdcdst_${prefix}`) : undefined;
  const dir = await mkdtemp(join(tmpdir(), `ferry-cdc-${prefix}-`));
  const slot = `ferry_t_${prefix}_${randomBytes(4).toString('hex')}`;
  const state = await openStateStore('sqlite::memory:', dir);
  const destinationSettings: Record<string, unknown> =
    kind === 'postgres' ? { url: target?.url, schema: 'public' } : { path: join(dir, kind === 'sqlite' ? 'dst.sqlite' : 'dst.duckdb') };
  return {
    source,
    target,
    slot,
    dir,
    state,
    project(streams, cdc = {}) {
      return srcDstProject({
        sync: 'c',
        dir,
        at,
        source: { type: 'postgres', settings: { url: source.url } },
        destination: { type: kind, settings: destinationSettings },
        syncDefaults: { mode: 'cdc' },
        streams: streams.map((s) => ({ name: 'public.items', enabled: true, location: at, ...s })),
        cdc: cdcSettingsSchema.parse({ slot, ...cdc }),
        defaults: { threads: 2, batch_size: 1000 },
      });
    },
    run(project, registry, options = {}) {
      return runSync({ project, state, sync: 'c', attempts: 1, ...(registry ? { registry } : {}), ...options });
    },
    kind,
    query: (sql) => queryDestination(kind, target, dir, sql),
    rows: (table, columns = '*') => queryDestination(kind, target, dir, `SELECT ${columns} FROM ${table} ORDER BY 1`),
    ferryColumnTypes: (table) => ferryColumnTypes(kind, target, dir, table),
    async ferryRows(table) {
      const have = await ferryColumnTypes(kind, target, dir, table);
      const pick = (name: string, value: string, alias: string): string => `${name in have ? value : 'NULL'} AS ${alias}`;
      const rows = await queryDestination(
        kind,
        target,
        dir,
        `SELECT CAST(id AS TEXT) AS row_id, ${pick('_ferry_lsn', 'CAST(_ferry_lsn AS TEXT)', 'lsn')}, ${pick('_ferry_synced_at', '_ferry_synced_at', 'synced')}, ${pick('_ferry_deleted_at', '_ferry_deleted_at', 'deleted')} FROM ${table} ORDER BY id`,
      );
      return rows.map((r) => ({
        id: String(r['row_id']),
        lsn: '_ferry_lsn' in have ? (r['lsn'] === null ? null : String(r['lsn'])) : undefined,
        synced: '_ferry_synced_at' in have ? epochMs(r['synced']) : undefined,
        deleted: '_ferry_deleted_at' in have ? epochMs(r['deleted']) : undefined,
      }));
    },
    async close() {
      await dropSlot(source, slot);
      await state.close();
      await source.drop();
      await target?.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Ferry's cdc columns of one target row: `lsn` as decimal text, times as epoch milliseconds; null when NULL. */
export interface FerryRow {
  readonly id: string;
  readonly lsn: string | null | undefined;
  readonly synced: number | null | undefined;
  readonly deleted: number | null | undefined;
}

/**
 * Declared types of Ferry's cdc columns in each destination: the snapshot
 * creates them and the change apply adds a missing one with the same types.
 */
export const CDC_COLUMN_TYPES: Readonly<Record<DestinationKind, Readonly<Record<string, string>>>> = {
  postgres: { _ferry_lsn: 'bigint', _ferry_synced_at: 'timestamp with time zone', _ferry_deleted_at: 'timestamp with time zone' },
  sqlite: { _ferry_lsn: 'BIGINT', _ferry_synced_at: 'TIMESTAMPTZ_TEXT', _ferry_deleted_at: 'TIMESTAMPTZ_TEXT' },
  duckdb: { _ferry_lsn: 'BIGINT', _ferry_synced_at: 'TIMESTAMP WITH TIME ZONE', _ferry_deleted_at: 'TIMESTAMP WITH TIME ZONE' },
};

async function ferryColumnTypes(kind: DestinationKind, target: TestDatabase | undefined, dir: string, table: string): Promise<Record<string, string>> {
  const like = "LIKE '\\_ferry\\_%' ESCAPE '\\'";
  const sql = {
    postgres: `SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '${table}' AND column_name ${like} ORDER BY ordinal_position`,
    sqlite: `SELECT name, type FROM pragma_table_info('${table}') WHERE name ${like} ORDER BY cid`,
    duckdb: `SELECT column_name AS name, data_type AS type FROM duckdb_columns() WHERE table_name = '${table}' AND column_name ${like} ORDER BY column_index`,
  }[kind];
  const rows = await queryDestination(kind, target, dir, sql);
  return Object.fromEntries(rows.map((r) => [String(r['name']), String(r['type'])]));
}

/** A timestamptz as a driver returns it (Date, or SQLite's text) in epoch milliseconds; null stays null. */
function epochMs(value: unknown): number | null {
  if (value === null) return null;
  const ms = value instanceof Date ? value.getTime() : Date.parse(String(value));
  if (Number.isNaN(ms)) throw new Error(`not a timestamp: ${String(value)}`);
  return ms;
}

/** The built-in connectors with the LSN of every snapshot the postgres source exports appended to `lsns`. */
export function snapshotRegistry(lsns: bigint[]): ConnectorRegistry {
  return captureRegistry((capture) => {
    const createSlot = capture.createSlot.bind(capture);
    const snapshot = capture.snapshot.bind(capture);
    capture.createSlot = async () => {
      const session = await createSlot();
      lsns.push(session.lsn);
      return session;
    };
    capture.snapshot = async () => {
      const session = await snapshot();
      lsns.push(session.lsn);
      return session;
    };
    return capture;
  });
}

async function queryDestination(kind: DestinationKind, target: TestDatabase | undefined, dir: string, sql: string): Promise<Record<string, unknown>[]> {
  if (kind === 'postgres') {
    if (!target) throw new Error('a postgres fixture without its destination database');
    return (await target.query(sql)).rows;
  }
  if (kind === 'sqlite') {
    const db = new Database(join(dir, 'dst.sqlite'), { readonly: true });
    try {
      return db.prepare(sql).all() as Record<string, unknown>[];
    } finally {
      db.close();
    }
  }
  return withDuckDb(join(dir, 'dst.duckdb'), async (conn) => (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]);
}

/**
 * The built-in connectors with the postgres source's change capture passed
 * through `wrap` (to observe it, or to make it fail where a test kills a run).
 */
export function captureRegistry(wrap: (capture: ChangeCapture) => ChangeCapture): ConnectorRegistry {
  const wrapped: ConnectorDefinition<PostgresConfig> = {
    ...postgresConnector,
    createSource: (config, ctx) => {
      const source = postgresConnector.createSource?.(config, ctx);
      if (!source?.openChangeCapture) throw new Error('postgres source without cdc');
      const open = source.openChangeCapture.bind(source);
      source.openChangeCapture = (options): ChangeCapture => wrap(open(options));
      return source;
    },
  };
  return new Map([...builtinConnectors, ['postgres', wrapped as ConnectorDefinition]]);
}

/** confirmed_flush_lsn of a slot as text, or null when it does not exist. */
export async function slotConfirmed(db: TestDatabase, slot: string): Promise<string | null> {
  const result = await db.query<{ lsn: string }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  return result.rows[0]?.lsn ?? null;
}

/** Drop a slot, waiting (up to 10 s) for the walsender of a finished run to let go of it. */
export async function dropSlot(db: TestDatabase, slot: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const result = await db.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    const row = result.rows[0];
    if (!row) return;
    if (!row.active) {
      await db.query('SELECT pg_drop_replication_slot($1)', [slot]);
      return;
    }
    if (attempt >= 50) throw new Error(`slot ${slot} stays active`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Poll `probe` until it returns a value (not undefined); fail naming `what` after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000, pollMs = 50): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
