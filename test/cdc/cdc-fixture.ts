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
    async close() {
      await dropSlot(source, slot);
      await state.close();
      await source.drop();
      await target?.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
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
