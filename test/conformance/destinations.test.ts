import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { duckdbConnector } from '../../src/connectors/duckdb/index.js';
import { acquireInstance } from '../../src/connectors/duckdb/instance-cache.js';
import { filesConnector } from '../../src/connectors/files/index.js';
import { mysqlConnector } from '../../src/connectors/mysql/index.js';
import { postgresConnector } from '../../src/connectors/postgres/index.js';
import { sqliteConnector } from '../../src/connectors/sqlite/index.js';
import type { ConnectorContext, ConnectorDefinition, Destination, ReadTarget, Source } from '../../src/core/connector.js';
import type { Column, TableRef, Value } from '../../src/core/schema.js';
import { createMysqlTestDatabase } from '../support/mysql.js';
import { createTestDatabase } from '../support/postgres.js';
import { describeDestination } from './destination-conformance.js';
import type { DestinationUnderTest } from './destination-harness.js';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const STAGING = /^_ferry_stage/;

/** A destination and a source of one connector over the same settings. */
function connectorPair<C>(connector: ConnectorDefinition<C>, settings: Record<string, unknown>, projectDir: string): { destination: Destination; source: Source } {
  const ctx: ConnectorContext = { connection: `conformance-${connector.name}`, projectDir, logger: quiet };
  const config = connector.configSchema.parse(settings);
  const destination = connector.createDestination?.(config, ctx);
  const source = connector.createSource?.(config, ctx);
  if (destination === undefined || source === undefined) throw new Error(`${connector.name} needs both a source and a destination here`);
  return { destination, source };
}

/** Databases read a target back as the table itself. */
async function tableTargets(table: TableRef): Promise<readonly ReadTarget[]> {
  return [{ kind: 'table', table }];
}

/** Close both ends, then remove what they wrote. */
function closer(pair: { destination: Destination; source: Source }, remove: () => Promise<void>): () => Promise<void> {
  return async () => {
    await pair.source.close();
    await pair.destination.close();
    await remove();
  };
}

describeDestination('sqlite', {
  capabilities: { writes: ['replace', 'append', 'truncate', 'merge', 'mirror'], transactional: true, rawFormats: [], schemas: false, caseInsensitiveNames: true },
  tableSchemas: true,
  async open(): Promise<DestinationUnderTest> {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-conformance-sqlite-'));
    const pair = connectorPair(sqliteConnector, { path: 'conformance.db' }, dir);
    const leftovers = async (): Promise<string[]> => {
      const db = new Database(join(dir, 'conformance.db'), { readonly: true });
      try {
        return db.prepare('SELECT name FROM sqlite_master').pluck().all().map(String).filter((n) => STAGING.test(n));
      } finally {
        db.close();
      }
    };
    return { ...pair, target: (name) => ({ name }), readTargets: tableTargets, leftovers, cleanup: closer(pair, () => rm(dir, { recursive: true, force: true })) };
  },
});

describeDestination('duckdb', {
  capabilities: { writes: ['replace', 'append', 'truncate', 'merge', 'mirror'], transactional: true, rawFormats: ['pg-binary'], schemas: true, caseInsensitiveNames: true },
  tableSchemas: true,
  async open(): Promise<DestinationUnderTest> {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-conformance-duckdb-'));
    const pair = connectorPair(duckdbConnector, { path: 'conformance.duckdb', schema: 'landing' }, dir);
    // Through the connector's shared instance: a second instance on the file would be refused.
    const leftovers = async (): Promise<string[]> => {
      const lease = await acquireInstance(join(dir, 'conformance.duckdb'), {}, 'conformance');
      const conn = await lease.instance.connect();
      try {
        return (await conn.runAndReadAll('SELECT table_name FROM duckdb_tables()')).getRows().map((r) => String(r[0])).filter((n) => STAGING.test(n));
      } finally {
        conn.closeSync();
        lease.release();
      }
    };
    const target = (name: string): TableRef => ({ schema: 'landing', name });
    return { ...pair, target, readTargets: tableTargets, leftovers, cleanup: closer(pair, () => rm(dir, { recursive: true, force: true })) };
  },
});

describeDestination('postgres', {
  capabilities: { writes: ['replace', 'append', 'truncate', 'merge', 'mirror'], transactional: true, rawFormats: ['pg-binary', 'pg-copy-data', 'pg-csv'], schemas: true, directAppend: true, parallelWriters: true },
  tableSchemas: true,
  async open(): Promise<DestinationUnderTest> {
    const db = await createTestDatabase('conformance');
    const pair = connectorPair(postgresConnector, { url: db.url, schema: 'landing' }, process.cwd());
    const leftovers = async (): Promise<string[]> => {
      const staged = await db.query<{ relname: string }>(`SELECT relname FROM pg_class WHERE relname LIKE '\\_ferry\\_stage%'`);
      return staged.rows.map((r) => r.relname);
    };
    const target = (name: string): TableRef => ({ schema: 'landing', name });
    return { ...pair, target, readTargets: tableTargets, leftovers, cleanup: closer(pair, () => db.drop()) };
  },
});

/** MySQL has no NaN or infinities, and its dates end at 9999-12-31 (docs/types.md). */
function mysqlRefuses(column: Column, value: Value): boolean {
  if (typeof value === 'number' && !Number.isFinite(value)) return true;
  return ['date', 'timestamp', 'timestamptz'].includes(column.type.kind) && !/^\d{4}-/.test(String(value));
}

for (const bulkLoad of ['load_data', 'insert'] as const) {
  describeDestination(`mysql (${bulkLoad})`, {
    capabilities: { writes: ['replace', 'append', 'truncate', 'merge', 'mirror'], transactional: true, rawFormats: [], schemas: true, parallelWriters: true },
    tableSchemas: true,
    refuses: mysqlRefuses,
    async open(): Promise<DestinationUnderTest> {
      const db = await createMysqlTestDatabase('conformance');
      const pair = connectorPair(mysqlConnector, { url: db.url, bulk_load: bulkLoad }, process.cwd());
      const leftovers = async (): Promise<string[]> => {
        const staged = await db.query<{ name: string }>(`SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE '\\_ferry\\_%' AND TABLE_NAME <> '_ferry_checkpoints'`, [db.name]);
        return staged.map((r) => r.name);
      };
      const target = (name: string): TableRef => ({ schema: db.name, name });
      return { ...pair, target, readTargets: tableTargets, leftovers, cleanup: closer(pair, () => db.drop()) };
    },
  });
}

/** Names under `dir` (recursively) that start with a dot: the files destination's temp files. */
async function hiddenFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.filter((path) => path.split('/').some((part) => part.startsWith('.')));
}

describeDestination('files (parquet)', {
  capabilities: { writes: ['replace', 'append', 'truncate'], transactional: false, rawFormats: ['pg-binary', 'ferry-csv'], schemas: false },
  tableSchemas: false,
  async open(): Promise<DestinationUnderTest> {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-conformance-files-'));
    const pair = connectorPair(filesConnector, { path: 'out' }, dir);
    const exists = (path: string) => stat(join(dir, 'out', path)).then(() => true, () => false);
    // replace/truncate write `<name>.parquet`; append adds `<name>/part-<run>.parquet` beside it.
    const readTargets = async (table: TableRef): Promise<readonly ReadTarget[]> => {
      const stem = table.name.replace(/\.parquet$/, '');
      const parts = (await exists(stem)) && (await readdir(join(dir, 'out', stem))).some((f) => f.startsWith('part-'));
      const names = [...((await exists(table.name)) ? [table.name] : []), ...(parts ? [`${stem}/part-*.parquet`] : [])];
      return names.map((name) => ({ kind: 'table', table: { name } }));
    };
    const target = (name: string): TableRef => ({ name: `${name}.parquet` });
    return { ...pair, target, readTargets, leftovers: () => hiddenFiles(dir), cleanup: closer(pair, () => rm(dir, { recursive: true, force: true })) };
  },
});
