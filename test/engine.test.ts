import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Column, Row } from '../src/core/schema.js';
import type { Project, StreamConfig, SyncConfig } from '../src/config/project.js';
import { runSync, type RunSyncOptions } from '../src/engine/run-sync.js';
import { openStateStore } from '../src/state/index.js';
import type { StateStore } from '../src/state/state-store.js';
import { LockedError } from '../src/core/errors.js';
import { memoryConnector, memoryWorld, type MemoryWorld } from './support/memory-connector.js';
import { srcDstProject } from './support/src-dst-project.js';

const registry = new Map([[memoryConnector.name, memoryConnector as never]]);
const at = { file: 'syncs/s.yml', line: 1, column: 1 };

const columns: Column[] = [
  { name: 'id', type: { kind: 'int64' }, nullable: false },
  { name: 'name', type: { kind: 'string' }, nullable: true },
  { name: 'updated_at', type: { kind: 'timestamptz' }, nullable: true },
];

function ts(n: number): string {
  return `2025-01-01T00:00:${String(n).padStart(2, '0')}.000001Z`;
}

function project(worldName: string, streams: Partial<StreamConfig>[], defaults: SyncConfig['defaults'] = {}): Project {
  const memory = () => ({ type: 'memory', settings: { world: worldName } });
  return srcDstProject({
    sync: 's',
    dir: '/tmp',
    at,
    source: memory(),
    destination: memory(),
    syncDefaults: defaults,
    streams: streams.map((s) => ({ name: 'items', enabled: true, location: at, ...s })),
    defaults: { threads: 2, batch_size: 3 },
  });
}

let state: StateStore;
let world: MemoryWorld;
let counter = 0;
let worldName = '';

beforeEach(async () => {
  state = await openStateStore('sqlite::memory:', '/tmp');
  worldName = `w${++counter}`;
  world = memoryWorld(worldName);
});
afterEach(async () => {
  await state.close();
});

function seed(rows: Row[]): void {
  world.source.set('items', { columns, primaryKey: ['id'], rows });
}

function run(p: Project, extra: Partial<RunSyncOptions> = {}) {
  return runSync({ project: p, state, sync: 's', registry, retryDelayMs: 1, ...extra });
}

const targetRows = (): Row[] => [...(world.target.get('items')?.rows ?? [])].sort((a, b) => Number(a[0]) - Number(b[0]));

describe('engine', () => {
  it('full refresh replaces the target with every source row', async () => {
    seed([[1n, 'a', ts(1)], [2n, null, ts(2)], [3n, 'ç', null]]);
    const result = await run(project(worldName, [{}]));
    expect(result.status).toBe('success');
    expect(targetRows()).toEqual([[1n, 'a', ts(1)], [2n, null, ts(2)], [3n, 'ç', null]]);
    expect(result.streams[0]).toMatchObject({ rowsRead: 3, rowsWritten: 3, status: 'success' });
    const stored = await state.getRun(result.runId);
    expect(stored).toMatchObject({ status: 'success', rowsRead: 3, rowsWritten: 3 });
  });

  it('incremental merge reads >= the last cursor, skips delivered boundary rows and keeps late rows with the same value', async () => {
    seed([[1n, 'a', ts(1)], [2n, 'b', ts(2)], [3n, 'c', ts(2)]]);
    const p = project(worldName, [{ mode: 'incremental', cursor: 'updated_at', write: 'merge' }]);
    expect((await run(p)).streams[0]?.rowsWritten).toBe(3);
    const cp = await state.getCheckpoint('s', 'items');
    expect(cp?.state.cursor).toMatchObject({ column: 'updated_at', value: ts(2) });
    expect([...(cp?.state.cursor?.boundaryKeys ?? [])].sort()).toEqual(['["2"]', '["3"]']);

    // A late row with the same cursor value as the boundary, an update and a new row.
    seed([[1n, 'a', ts(1)], [2n, 'b', ts(2)], [3n, 'c', ts(2)], [4n, 'late', ts(2)], [5n, 'new', ts(5)]]);
    world.source.get('items')?.rows.splice(0, 1, [1n, 'a2', ts(4)]);
    const planned = await run(p, { dryRun: true });
    // 5 rows at or past the cursor; rows 2 and 3 were delivered at the boundary and will be skipped.
    expect(planned.plan?.[0]).toMatchObject({ rows: 5, boundaryRows: 2 });
    const second = await run(p);
    expect(second.streams[0]).toMatchObject({ rowsRead: 5, rowsWritten: 3 });
    expect(targetRows()).toEqual([[1n, 'a2', ts(4)], [2n, 'b', ts(2)], [3n, 'c', ts(2)], [4n, 'late', ts(2)], [5n, 'new', ts(5)]]);
  });

  it('incremental append never duplicates rows at the boundary', async () => {
    seed([[1n, 'a', ts(1)], [2n, 'b', ts(2)]]);
    const p = project(worldName, [{ mode: 'incremental', cursor: 'updated_at', write: 'append' }]);
    await run(p);
    await run(p);
    world.source.get('items')?.rows.push([3n, 'c', ts(2)]);
    await run(p);
    expect(targetRows()).toEqual([[1n, 'a', ts(1)], [2n, 'b', ts(2)], [3n, 'c', ts(2)]]);
  });

  it('retries a retryable failure from scratch and lands every row once', async () => {
    seed(Array.from({ length: 10 }, (_, i): Row => [BigInt(i), `r${i}`, ts(i)]));
    world.faults = { retryableOnWrite: [2], retryableOnCommit: [1] };
    const result = await run(project(worldName, [{}]));
    expect(result.status).toBe('success');
    expect(targetRows()).toHaveLength(10);
    expect(world.aborts).toBe(2);
    expect(world.staged).toBe(0);
  });

  it('a terminal failure fails the stream, leaves the target and checkpoint unchanged', async () => {
    seed([[1n, 'a', ts(1)]]);
    const p = project(worldName, [{ mode: 'incremental', cursor: 'updated_at', write: 'merge' }]);
    await run(p);
    const before = await state.getCheckpoint('s', 'items');
    seed([[1n, 'changed', ts(3)], [2n, 'b', ts(3)]]);
    world.faults = { terminalOnWrite: world.writes + 1 };
    const result = await run(p);
    expect(result.status).toBe('failed');
    expect(result.error).toContain('injected terminal fault');
    expect(result.exitCode).toBe(1);
    expect(targetRows()).toEqual([[1n, 'a', ts(1)]]);
    expect(await state.getCheckpoint('s', 'items')).toEqual(before);
    expect(world.staged).toBe(0);
  });

  it('cancellation rolls back staged rows and records the run as cancelled', async () => {
    seed(Array.from({ length: 30 }, (_, i): Row => [BigInt(i), `r${i}`, ts(i % 60)]));
    const controller = new AbortController();
    const result = await run(project(worldName, [{}]), {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'stream_progress' && e.rowsRead >= 6) controller.abort();
      },
    });
    expect(result.status).toBe('cancelled');
    expect(world.target.has('items')).toBe(false);
    expect(world.staged).toBe(0);
    expect((await state.getRun(result.runId))?.status).toBe('cancelled');
  });

  it('resumes from the destination checkpoint when the state store lost it, and a reset wins over both', async () => {
    seed([[1n, 'a', ts(1)], [2n, 'b', ts(2)]]);
    const p = project(worldName, [{ mode: 'incremental', cursor: 'updated_at', write: 'append' }]);
    await run(p);
    // Simulate kill -9 between destination commit and state store save: the store is behind.
    await state.saveCheckpoint({ sync: 's', stream: 'items', runId: 'old', seq: 0, state: {} });
    const fresh = await openStateStore('sqlite::memory:', '/tmp');
    const resumed = await runSync({ project: p, state: fresh, sync: 's', registry });
    expect(resumed.streams[0]?.rowsWritten).toBe(0);
    expect(targetRows()).toHaveLength(2);
    // A reset has a newer seq than the destination's checkpoint: the next run re-reads everything.
    await fresh.saveCheckpoint({ sync: 's', stream: 'items', runId: 'manual', seq: Date.now() + 1000, state: {} });
    const again = await runSync({ project: p, state: fresh, sync: 's', registry });
    expect(again.streams[0]?.rowsRead).toBe(2);
    await fresh.close();
  });

  it('--cursor-value and --full-refresh override the checkpoint', async () => {
    seed([[1n, 'a', ts(1)], [2n, 'b', ts(2)], [3n, 'c', ts(3)]]);
    const p = project(worldName, [{ mode: 'incremental', cursor: 'updated_at', write: 'merge' }]);
    await run(p);
    const fromTwo = await run(p, { cursorValue: '2025-01-01T00:00:02.000001Z' });
    expect(fromTwo.streams[0]?.rowsRead).toBe(2);
    const full = await run(p, { fullRefresh: true });
    expect(full.streams[0]).toMatchObject({ rowsRead: 3, write: 'replace' });
  });

  it('null cursors: excluded after the first run, included every run, or failing', async () => {
    seed([[1n, 'a', ts(1)], [2n, 'nul', null]]);
    const exclude = project(worldName, [{ mode: 'incremental', cursor: 'updated_at', write: 'merge' }]);
    expect((await run(exclude)).streams[0]?.rowsRead).toBe(2);
    expect((await run(exclude)).streams[0]?.rowsRead).toBe(1);
    const include = project(worldName, [{ mode: 'incremental', cursor: 'updated_at', write: 'merge', null_cursor: 'include' }]);
    expect((await run(include)).streams[0]?.rowsRead).toBe(2);
    const fail = project(worldName, [{ mode: 'incremental', cursor: 'updated_at', write: 'merge', null_cursor: 'fail' }]);
    const failed = await run(fail, { fullRefresh: true });
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('cursor column "updated_at" is NULL');
  });

  it('one run per sync: a second concurrent run is refused, a stale lock is taken over', async () => {
    seed([[1n, 'a', ts(1)]]);
    await state.acquireLock('s', 'other-run', 'elsewhere', 60_000);
    await expect(run(project(worldName, [{}]))).rejects.toBeInstanceOf(LockedError);
    const takeover = await run(project(worldName, [{}]), { staleLockMs: 0 });
    expect(takeover.status).toBe('success');
  });

  it('takes over at once a lock whose holder process on this machine is gone', async () => {
    seed([[1n, 'a', ts(1)]]);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await state.acquireLock('s', 'killed-run', `${hostname()}:${dead}`, 60_000);
    const result = await run(project(worldName, [{}]));
    expect(result.status).toBe('success');
    expect(await state.getLock('s')).toBeUndefined();
  });

  it('stops and publishes nothing when another run takes over its lock mid-run', async () => {
    seed(Array.from({ length: 30 }, (_, i): Row => [BigInt(i), `r${i}`, ts(i)]));
    world.faults = { writeDelayMs: 20 };
    const running = run(project(worldName, [{}]), { heartbeatMs: 10 });
    let holder = await state.getLock('s');
    for (let i = 0; !holder && i < 1000; i++) {
      await new Promise((r) => setTimeout(r, 5));
      holder = await state.getLock('s');
    }
    expect(world.writes).toBeLessThan(10);
    expect(await state.takeOverLock('s', holder?.runId ?? '', 'usurper', 'elsewhere:1')).toBe(true);
    const result = await running;
    expect(result.status).toBe('failed');
    expect(result.error).toContain('another run took over the lock');
    expect(world.target.has('items')).toBe(false);
    expect((await state.getLock('s'))?.runId).toBe('usurper');
  });

  it('refuses two streams writing one target, and a stream writing into its own source table', async () => {
    seed([[1n, 'a', ts(1)]]);
    world.source.set('other', { columns, primaryKey: ['id'], rows: [] });
    const clash = await run(project(worldName, [{}, { name: 'other', target: 'items' }]));
    expect(clash.status).toBe('failed');
    expect(clash.error).toContain('streams "items" and "other" both write to items');
    const same = project(worldName, [{}]);
    const selfSync = { ...same.syncs.get('s'), destination: 'src' } as SyncConfig;
    const selfWrite = await run({ ...same, syncs: new Map([['s', selfSync]]) });
    expect(selfWrite.error).toContain('would write into the table it reads (items)');
    const none = await run(project(worldName, [{ name: 'nothing_*' }]));
    expect(none.error).toContain('selects no stream');
    expect(world.target.size).toBe(0);
  });

  it('releases the lock when the run cannot be recorded', async () => {
    seed([[1n, 'a', ts(1)]]);
    const failing = new Proxy(state, {
      get: (target, key) => {
        if (key === 'createRun') return () => Promise.reject(new Error('state store is read-only'));
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    await expect(runSync({ project: project(worldName, [{}]), state: failing, sync: 's', registry })).rejects.toThrow('read-only');
    expect(await state.getLock('s')).toBeUndefined();
  });

  it('dry run counts rows and writes nothing', async () => {
    seed([[1n, 'a', ts(1)], [2n, 'b', ts(2)]]);
    const result = await run(project(worldName, [{}]), { dryRun: true });
    expect(result.status).toBe('dry_run');
    expect(result.plan?.[0]).toMatchObject({ stream: 'items', rows: 2, boundaryRows: 0, write: 'replace' });
    expect(world.target.size).toBe(0);
  });

  it('refuses incremental + replace and merge without a key, with the location', async () => {
    seed([[1n, 'a', ts(1)]]);
    const bad = await run(project(worldName, [{ mode: 'incremental', cursor: 'updated_at', write: 'replace' }]));
    expect(bad.status).toBe('failed');
    expect(bad.exitCode).toBe(2);
    expect(bad.error).toContain('syncs/s.yml:1:1');
  });
});
