import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cdcStatus, pauseCdc, resumeCdc, type CdcStatusReport } from '../../src/engine/cdc/cdc-operations.js';
import { parseMicros } from '../../src/engine/cdc/cdc-position.js';
import type { Project } from '../../src/config/project.js';
import { silentLogger } from '../../src/cli/silent-logger.js';
import { cdcFixture, slotConfirmed, type CdcFixture, until as untilFound } from './cdc-fixture.js';

// Creating a replication slot waits for every transaction running on the server to end:
// on a shared server that can take minutes.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });

/** `ferry cdc pause|resume` and the time lag of `ferry cdc status`, on Postgres -> Postgres. */
let f: CdcFixture;
let project: Project;

const ops = () => ({ project, state: f.state, sync: 'c', logger: silentLogger, actor: 'tester' });
const status = (): Promise<CdcStatusReport> => cdcStatus(ops());
const stream = (report: CdcStatusReport, name: string) => {
  const found = report.streams.find((s) => s.stream === name);
  if (!found) throw new Error(`no status for ${name}`);
  return found;
};
const micros = (ms: number): bigint => BigInt(ms) * 1000n;

const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> => untilFound(what, probe, timeoutMs);

async function sourceRows(table: string): Promise<unknown[]> {
  return (await f.source.query(`SELECT id, v FROM ${table} ORDER BY id`)).rows;
}

async function targetRows(table: string): Promise<unknown[]> {
  return f.rows(table, 'id, v');
}

beforeAll(async () => {
  f = await cdcFixture('cdcops_pause');
  await f.source.query('CREATE TABLE a (id int PRIMARY KEY, v text)');
  await f.source.query('CREATE TABLE b (id int PRIMARY KEY, v text)');
  await f.source.query('CREATE TABLE pad (id serial PRIMARY KEY, filler text)');
  await f.source.query("INSERT INTO a VALUES (1, 'a1'), (2, 'a2'); INSERT INTO b VALUES (1, 'b1')");
  project = f.project([{ name: 'public.a' }, { name: 'public.b' }], { max_retained_wal_mb: 1, flush_ms: 100, heartbeat_seconds: 1 });
});
afterAll(async () => {
  await f.close();
});

describe('ferry cdc pause and resume (catch-up runs)', () => {
  it('holds a paused table back in the slot, applies the others, and applies it exactly on resume', async () => {
    const t0 = Date.now();
    expect((await f.run(project)).error).toBeNull();
    const t1 = Date.now();

    // Time lag after a catch-up run: every commit up to the run's catch-up mark is in the target.
    const first = await status();
    for (const name of ['public.a', 'public.b']) {
      const s = stream(first, name);
      const syncedTo = parseMicros(s.syncedTo ?? '');
      expect(syncedTo).toBeDefined();
      expect(syncedTo!).toBeGreaterThanOrEqual(micros(t0 - 1));
      expect(syncedTo!).toBeLessThanOrEqual(micros(t1 + 1));
      expect(s.paused).toBeNull();
      // 0 only when no WAL was written past the position (not on a shared server); else now - synced_to.
      if (s.lagBytes === 0n) expect(s.lagSeconds).toBe(0);
      else expect(s.lagSeconds!).toBeCloseTo(Number((first.slot.serverTime! - syncedTo!) / 1000n) / 1000, 3);
    }
    expect(first.lagSeconds).toBe(Math.max(stream(first, 'public.a').lagSeconds!, stream(first, 'public.b').lagSeconds!));

    expect(await pauseCdc(ops(), ['public.a'], 'backfill in progress')).toEqual({ paused: ['public.a'], already: [] });
    expect(await pauseCdc(ops(), ['public.a'])).toEqual({ paused: [], already: ['public.a'] });
    await expect(pauseCdc(ops(), ['public.nope'])).rejects.toThrow(/has no cdc stream public.nope/);
    const heldAt = stream(await status(), 'public.a').from;

    await f.source.query("INSERT INTO a VALUES (3, 'a3'); UPDATE a SET v = 'a1 changed' WHERE id = 1; DELETE FROM a WHERE id = 2");
    await f.source.query("INSERT INTO b VALUES (2, 'b2'); UPDATE b SET v = 'b1 changed' WHERE id = 1");
    const paused = await f.run(project);
    expect(paused.error).toBeNull();
    expect(paused.status).toBe('success');
    expect(paused.streams.map((s) => [s.stream, s.status, s.rowsWritten])).toEqual([
      ['public.a', 'paused', 0],
      ['public.b', 'success', 2],
    ]);
    expect(await targetRows('a')).toEqual([{ id: 1, v: 'a1' }, { id: 2, v: 'a2' }]);
    expect(await targetRows('b')).toEqual(await sourceRows('b'));
    const log = await f.state.readLog(paused.runId);
    expect(log.some((l) => l.message.includes(`not confirmed past ${heldAt}`))).toBe(true);

    // The slot never moves past the paused table's position, so its changes stay on the source.
    const during = await status();
    expect(stream(during, 'public.a').from).toBe(heldAt);
    expect(stream(during, 'public.a').paused).toMatchObject({ stream: 'public.a', pausedBy: 'tester', reason: 'backfill in progress' });
    const confirmed = await slotConfirmed(f.source, f.slot);
    const held = await f.source.query<{ ok: boolean }>('SELECT $1::pg_lsn <= $2::pg_lsn AS ok', [confirmed, heldAt]);
    expect(held.rows[0]?.ok).toBe(true);
    // The paused table's lag keeps its old synced_to; the sync's lag counts the running streams only.
    expect(stream(during, 'public.a').syncedTo).toBe(stream(first, 'public.a').syncedTo);
    expect(parseMicros(stream(during, 'public.b').syncedTo!)!).toBeGreaterThan(parseMicros(stream(first, 'public.b').syncedTo!)!);
    expect(during.lagSeconds).toBe(stream(during, 'public.b').lagSeconds);

    // Another run while paused: b moves on, a still waits, nothing is applied twice.
    await f.source.query("INSERT INTO b VALUES (3, 'b3'); UPDATE a SET v = 'a3 changed' WHERE id = 3");
    const again = await f.run(project);
    expect(again.streams.map((s) => [s.stream, s.status, s.rowsWritten])).toEqual([
      ['public.a', 'paused', 0],
      ['public.b', 'success', 1],
    ]);
    expect(await targetRows('a')).toEqual([{ id: 1, v: 'a1' }, { id: 2, v: 'a2' }]);

    await expect(resumeCdc(ops(), ['public.b'])).resolves.toEqual([]);
    const resumed = await resumeCdc(ops(), ['public.a']);
    expect(resumed.map((p) => p.stream)).toEqual(['public.a']);
    const after = await f.run(project);
    expect(after.error).toBeNull();
    expect(after.streams.map((s) => [s.stream, s.status, s.rowsWritten])).toEqual([
      ['public.a', 'success', 4],
      ['public.b', 'success', 0],
    ]);
    expect(await targetRows('a')).toEqual(await sourceRows('a'));
    expect(await targetRows('a')).toEqual([{ id: 1, v: 'a1 changed' }, { id: 3, v: 'a3 changed' }]);
    expect(await targetRows('b')).toEqual(await sourceRows('b'));

    const audit = await f.state.listAudit({ target: 'c' });
    expect(audit.map((e) => [e.action, e.actor, e.details?.['streams']])).toEqual([
      ['cdc.resume', 'tester', ['public.a']],
      ['cdc.resume', 'tester', ['public.b']],
      ['cdc.pause', 'tester', ['public.a']],
      ['cdc.pause', 'tester', ['public.a']],
    ]);
  });

  it('skips a paused sync, still warns about retained WAL, and catches up on resume', async () => {
    await pauseCdc(ops(), undefined, 'source migration');
    await expect(resumeCdc(ops(), ['public.a'])).rejects.toThrow(/whole sync c is paused/);
    await f.source.query("INSERT INTO a VALUES (4, 'a4'); INSERT INTO b VALUES (4, 'b4')");
    // More than max_retained_wal_mb (1 MB) of WAL while paused.
    await f.source.query("INSERT INTO pad (filler) SELECT repeat(md5(g::text), 8) FROM generate_series(1, 20000) g");
    const skipped = await f.run(project);
    expect(skipped.status).toBe('success');
    expect(skipped.streams.map((s) => [s.stream, s.status])).toEqual([
      ['public.a', 'paused'],
      ['public.b', 'paused'],
    ]);
    const log = await f.state.readLog(skipped.runId);
    expect(log.some((l) => l.level === 'warn' && l.message.includes('MB of WAL (limit 1 MB)'))).toBe(true);
    expect(await targetRows('a')).not.toContainEqual({ id: 4, v: 'a4' });

    const report = await status();
    expect(report.paused).toMatchObject({ stream: null, reason: 'source migration' });
    expect(report.lagSeconds).toBeNull();
    expect(report.warning).toMatch(/retains \d+ MB of WAL \(limit 1 MB\)/);
    expect(report.slot.retainedBytes).toBeGreaterThan(1024n * 1024n);

    expect((await resumeCdc(ops(), undefined)).map((p) => p.stream)).toEqual([null]);
    const caughtUp = await f.run(project);
    expect(caughtUp.streams.map((s) => [s.stream, s.status, s.rowsWritten])).toEqual([
      ['public.a', 'success', 1],
      ['public.b', 'success', 1],
    ]);
    expect(await targetRows('a')).toEqual(await sourceRows('a'));
    expect(await targetRows('b')).toEqual(await sourceRows('b'));
  });
});

describe('ferry cdc pause and resume (--follow)', () => {
  it('a running --follow holds back a paused table, picks it up on resume, and stops when the sync is paused', async () => {
    const controller = new AbortController();
    const running = f.run(project, undefined, { follow: true, signal: controller.signal });
    try {
      const before = Date.now();
      await f.source.query("INSERT INTO b VALUES (10, 'live')");
      await until('the stream to run', async () => ((await targetRows('b')).some((r) => (r as { id: number }).id === 10) ? true : undefined));
      // The commit time of the last applied transaction is stored: synced_to is at or after it.
      expect(parseMicros(stream(await status(), 'public.b').syncedTo!)!).toBeGreaterThanOrEqual(micros(before - 1));

      await pauseCdc(ops(), ['public.a']);
      // Once the run restarted without a, a change to a followed by one to b shows only b's.
      await until('the pause to be noticed', async () => {
        const lines = await f.state.readLog((await f.state.listRuns({ sync: 'c', limit: 1 }))[0]!.id);
        return lines.some((l) => l.message.includes('a pause or resume arrived')) ? true : undefined;
      });
      await f.source.query("INSERT INTO a VALUES (10, 'held')");
      await f.source.query("INSERT INTO b VALUES (11, 'after the held one')");
      await until('b to move on', async () => ((await targetRows('b')).some((r) => (r as { id: number }).id === 11) ? true : undefined));
      expect(await targetRows('a')).not.toContainEqual({ id: 10, v: 'held' });

      await resumeCdc(ops(), ['public.a']);
      await until('a to get its held change', async () => ((await targetRows('a')).some((r) => (r as { id: number }).id === 10) ? true : undefined));

      await f.source.query("INSERT INTO b VALUES (12, 'before the sync pause')");
      await until('row 12', async () => ((await targetRows('b')).some((r) => (r as { id: number }).id === 12) ? true : undefined));
      await pauseCdc(ops(), undefined);
    } catch (error) {
      controller.abort();
      throw error;
    }
    // The whole sync paused: the --follow run ends by itself.
    const result = await running;
    expect(result.error).toBeNull();
    expect(result.status).toBe('success');
    expect(result.streams.map((s) => s.status)).toEqual(['paused', 'paused']);
    expect(await targetRows('a')).toEqual(await sourceRows('a'));
    expect(await targetRows('b')).toEqual(await sourceRows('b'));

    await f.source.query("INSERT INTO b VALUES (13, 'while paused')");
    expect((await f.run(project)).streams.map((s) => s.status)).toEqual(['paused', 'paused']);
    expect(await targetRows('b')).not.toContainEqual({ id: 13, v: 'while paused' });
    await resumeCdc(ops(), undefined);
    expect((await f.run(project)).error).toBeNull();
    expect(await targetRows('b')).toEqual(await sourceRows('b'));
  });
});
