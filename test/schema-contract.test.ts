import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqliteConnector } from '../src/connectors/sqlite/index.js';
import type { Column, Row } from '../src/core/schema.js';
import type { Project, StreamConfig } from '../src/config/project.js';
import { runSync } from '../src/engine/run-sync.js';
import { openStateStore } from '../src/state/index.js';
import type { StateStore } from '../src/state/state-store.js';
import { memoryConnector, memoryWorld, type MemoryWorld } from './support/memory-connector.js';
import { srcDstProject } from './support/src-dst-project.js';

/**
 * Schema contracts end to end: a memory source into a real SQLite file,
 * through runSync, asserting the rows that landed and what the run record
 * and its log say about the rows and values the contract discarded.
 */
const registry = new Map([
  [memoryConnector.name, memoryConnector as never],
  [sqliteConnector.name, sqliteConnector as never],
]);
const at = { file: 'syncs/s.yml', line: 3, column: 3 };
const INT_QTY: Column[] = [{ name: 'id', type: { kind: 'int64' }, nullable: false }, { name: 'qty', type: { kind: 'int32' }, nullable: true }];
const TEXT_QTY: Column[] = [{ name: 'id', type: { kind: 'int64' }, nullable: false }, { name: 'qty', type: { kind: 'string' }, nullable: true }];

let dir: string;
let state: StateStore;
let world: MemoryWorld;
let worldName: string;
let counter = 0;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-contract-'));
  state = await openStateStore('sqlite::memory:', dir);
  worldName = `contract${++counter}`;
  world = memoryWorld(worldName);
});
afterEach(async () => {
  await state.close();
  await rm(dir, { recursive: true, force: true });
});

function project(stream: Partial<StreamConfig>): Project {
  return srcDstProject({
    sync: 's',
    dir,
    at,
    source: { type: 'memory', settings: { world: worldName } },
    destination: { type: 'sqlite', settings: { path: 'warehouse.db' } },
    syncDefaults: { mode: 'full_refresh', write: 'append' },
    streams: [{ name: 'items', enabled: true, location: at, ...stream }],
    defaults: { threads: 1, batch_size: 2 },
  });
}

function seed(columns: Column[], rows: Row[]): void {
  world.source.set('items', { columns, primaryKey: ['id'], rows });
}

function landed(): unknown[] {
  const db = new Database(join(dir, 'warehouse.db'), { readonly: true });
  try {
    return db.prepare('SELECT id, qty FROM items ORDER BY id').raw().all();
  } finally {
    db.close();
  }
}

const run = (stream: Partial<StreamConfig> = {}) => runSync({ project: project(stream), state, sync: 's', registry, retryDelayMs: 1 });

describe('schema contracts through runSync', () => {
  it('discard_row: rows whose value the target cannot hold are dropped, counted on the run record and logged', async () => {
    seed(INT_QTY, [[1n, 10]]);
    expect((await run()).status).toBe('success');
    seed(TEXT_QTY, [[2n, '20'], [3n, 'twenty'], [4n, null], [5n, '3000000000']]);
    const result = await run({ schema_contract: { data_type: 'discard_row' } });
    expect(result.status).toBe('success');
    expect(landed()).toEqual([[1, 10], [2, 20], [4, null]]);
    const [record] = await state.listRunStreams(result.runId);
    expect(record).toMatchObject({ rowsRead: 4, rowsWritten: 2 });
    expect(record?.contract).toEqual({ rowsDiscarded: 2, valuesDiscarded: 0, columns: { qty: { rows: 2, values: 0 } }, widened: [], variants: [], tableDiscarded: false });
    const log = (await state.readLog(result.runId)).map((l) => `${l.level} ${l.message}`);
    expect(log).toContain('warn schema contract discarded 2 rows and 0 values (qty: 2 rows, 0 values)');
  });

  it('discard_value keeps every row and stores NULL for the values that do not fit, counted on the run record', async () => {
    seed(INT_QTY, [[1n, 10]]);
    await run();
    seed(TEXT_QTY, [[2n, '20'], [3n, 'twenty']]);
    const result = await run({ schema_contract: { data_type: 'discard_value' } });
    expect(landed()).toEqual([[1, 10], [2, 20], [3, null]]);
    expect(result.streams[0]?.contract).toMatchObject({ rowsDiscarded: 0, valuesDiscarded: 1 });
  });

  it('fails by default on a type change, naming stream, table, column and both types; nothing lands', async () => {
    seed(INT_QTY, [[1n, 10]]);
    await run();
    seed(TEXT_QTY, [[2n, '20']]);
    const result = await run();
    expect(result.status).toBe('failed');
    expect(result.streams[0]?.error).toBe(
      '[stream items] column "qty" of items: source string does not fit target int32 (type change)\n  hint: widen the target or set schema_contract.data_type (discard_row, discard_value, evolve)',
    );
    expect(landed()).toEqual([[1, 10]]);
  });

  it('widens the target in place (int32 -> int64) and records it; schema_change: freeze still refuses new columns', async () => {
    seed(INT_QTY, [[1n, 10]]);
    await run();
    seed([INT_QTY[0] as Column, { name: 'qty', type: { kind: 'int64' }, nullable: true }], [[2n, 5_000_000_000n]]);
    const widened = await run({ schema_change: 'freeze' });
    expect(widened.status).toBe('success');
    expect(widened.streams[0]?.contract?.widened).toEqual(['qty: int32 -> int64']);
    expect(landed()).toEqual([[1, 10], [2, 5_000_000_000]]);
    seed([...INT_QTY, { name: 'note', type: { kind: 'string' }, nullable: true }], [[3n, 1, 'x']]);
    const frozen = await run({ schema_change: 'freeze' });
    expect(frozen.streams[0]?.error).toContain('the source has new column(s) "note" that target items lacks, and schema_contract.columns is freeze');
  });
});
