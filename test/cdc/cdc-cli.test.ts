import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeProjectDir } from '../support/make-project-dir.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { dropSlot } from './cdc-fixture.js';

// Creating a replication slot waits for every transaction running on the server to end:
// on a shared server that can take minutes.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });

/** `ferry run` (catch-up), `ferry cdc status`, `pause`, `resume`, `resync` and `drop` from the command line. */
const BIN = resolve('bin/ferry.js');
let source: TestDatabase;
let target: TestDatabase;
let dir: string;
const slot = `ferry_t_cli_${randomBytes(4).toString('hex')}`;

function ferry(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args, '--project', dir], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  source = await createTestDatabase('cdccli');
  target = await createTestDatabase('cdcclidst');
  await source.query('CREATE TABLE orders (id int PRIMARY KEY, total numeric(10,2))');
  await source.query('CREATE TABLE notes (id int PRIMARY KEY, body text)');
  await source.query("INSERT INTO orders VALUES (1, 10.00), (2, 20.50); INSERT INTO notes VALUES (1, 'a')");
  dir = await makeProjectDir('ferry-cdc-cli-');
  await writeFile(join(dir, 'ferry.yml'), `name: cdccli\nconnections:\n  src:\n    type: postgres\n    url: ${source.url}\n  dst:\n    type: postgres\n    url: ${target.url}\n`);
  await writeFile(join(dir, 'syncs', 'shop.yml'), `source: src\ndestination: dst\ndefaults:\n  mode: cdc\ncdc:\n  slot: ${slot}\n  max_retained_wal_mb: 1\nstreams:\n  public.orders:\n  public.notes:\n`);
});
afterAll(async () => {
  await dropSlot(source, slot);
  await source.drop();
  await target.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('ferry cdc commands', () => {
  it('runs, reports the slot, resyncs one table, and drops the slot and publication', async () => {
    expect(ferry('run', 'shop').code).toBe(0);
    const status = ferry('cdc', 'status', 'shop', '--json');
    expect(status.code, status.stderr).toBe(0);
    const report = JSON.parse(status.stdout) as { slot: { exists: boolean; slot: string }; streams: { stream: string; from: string | null }[] };
    expect(report.slot).toMatchObject({ exists: true, slot });
    expect(report.streams.map((s) => s.stream).sort()).toEqual(['public.notes', 'public.orders']);
    expect(report.streams.every((s) => s.from !== null && /^[0-9A-F]+\/[0-9A-F]+$/.test(s.from))).toBe(true);
    expect(ferry('cdc', 'status', 'shop').stdout).toContain(`slot ${slot} (idle)`);

    await target.query("UPDATE notes SET body = 'damaged in the target'");
    await source.query('INSERT INTO orders VALUES (3, 1.00)');
    const resync = ferry('cdc', 'resync', 'shop', 'public.notes');
    expect(resync.stdout).toContain('public.notes');
    expect(ferry('run', 'shop').code).toBe(0);
    expect((await target.query('SELECT id, body FROM notes')).rows).toEqual([{ id: 1, body: 'a' }]);
    expect((await target.query('SELECT id, total::text FROM orders ORDER BY id')).rows).toEqual([
      { id: 1, total: '10.00' },
      { id: 2, total: '20.50' },
      { id: 3, total: '1.00' },
    ]);

    // Pause one table: the run applies the other, status shows the pause and the lag, resume catches up.
    const pause = ferry('cdc', 'pause', 'shop', 'public.notes', '--reason', 'checking');
    expect(pause.code, pause.stderr).toBe(0);
    expect(pause.stdout).toContain('paused: public.notes');
    expect(ferry('cdc', 'pause', 'shop', 'public.nope').stderr).toContain('has no cdc stream public.nope');
    await source.query("INSERT INTO notes VALUES (2, 'b'); INSERT INTO orders VALUES (4, 4.00)");
    expect(ferry('run', 'shop').code).toBe(0);
    expect((await target.query('SELECT id FROM notes ORDER BY id')).rows).toEqual([{ id: 1 }]);
    expect((await target.query('SELECT count(*)::int AS n FROM orders')).rows).toEqual([{ n: 4 }]);
    const pausedReport = JSON.parse(ferry('cdc', 'status', 'shop', '--json').stdout) as {
      lagSeconds: number;
      streams: { stream: string; lagSeconds: number; lagBytes: string; paused: { reason: string } | null }[];
    };
    const notes = pausedReport.streams.find((s) => s.stream === 'public.notes');
    const orders = pausedReport.streams.find((s) => s.stream === 'public.orders');
    expect(notes?.paused).toMatchObject({ reason: 'checking' });
    expect(orders?.paused).toBeNull();
    expect(pausedReport.lagSeconds).toBe(orders?.lagSeconds);
    // The paused table is behind the running one: its position (and synced-to time) stayed put.
    expect(BigInt(notes?.lagBytes ?? 0)).toBeGreaterThan(BigInt(orders?.lagBytes ?? 0));
    expect(notes?.lagSeconds).toBeGreaterThanOrEqual(orders?.lagSeconds ?? Infinity);
    expect(ferry('cdc', 'status', 'shop').stdout).toMatch(/public\.notes .* paused since \S+ by \S+ \(checking\)/);
    const resume = ferry('cdc', 'resume', 'shop');
    expect(resume.stdout).toContain('resumed: public.notes');
    expect(ferry('run', 'shop').code).toBe(0);
    expect((await target.query('SELECT id, body FROM notes ORDER BY id')).rows).toEqual([
      { id: 1, body: 'a' },
      { id: 2, body: 'b' },
    ]);

    const dropped = ferry('cdc', 'drop', 'shop');
    expect(dropped.code, dropped.stderr).toBe(0);
    expect(dropped.stdout).toContain('slot dropped; publication dropped');
    expect((await source.query('SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name = $1', [slot])).rows).toEqual([{ n: 0 }]);
    expect((await source.query('SELECT count(*)::int AS n FROM pg_publication WHERE pubname = $1', [slot])).rows).toEqual([{ n: 0 }]);
    // Every operator action above is in the audit log, newest first, with who and what.
    const audit = ferry('audit', 'shop', '--json');
    expect(audit.code, audit.stderr).toBe(0);
    const entries = JSON.parse(audit.stdout) as { action: string; target: string; actor: string; details: Record<string, unknown> }[];
    expect(entries.map((e) => e.action)).toEqual(['cdc.drop', 'cdc.resume', 'cdc.pause', 'cdc.resync']);
    expect(entries.every((e) => e.target === 'shop' && e.actor.length > 0)).toBe(true);
    expect(entries[2]?.details).toEqual({ streams: ['public.notes'], reason: 'checking' });
    expect(entries[1]?.details).toMatchObject({ resumed: ['public.notes'] });
    expect(ferry('audit', '--limit', '1').stdout).toMatch(/cdc\.drop +shop/);
    expect(ferry('audit', 'elsewhere', '--json').stdout.trim()).toBe('[]');
    expect(ferry('audit', '--limit', '0').stderr).toContain('--limit must be a whole number of at least 1');
    // After a drop the next run starts over with a fresh snapshot instead of failing.
    expect(ferry('run', 'shop').code).toBe(0);
    expect((await target.query('SELECT count(*)::int AS n FROM orders')).rows).toEqual([{ n: 4 }]);
  });
});
