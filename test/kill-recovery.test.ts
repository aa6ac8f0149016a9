import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from './support/prng.js';
import { runFerryKillable } from './support/run-ferry-killable.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';

/**
 * Guarantee 1 and 2, proven with a real process: `ferry run` is killed with
 * SIGKILL at random moments while sources keep changing; after a final clean
 * run, every source row is in the destination, exactly once, with its latest
 * values — for merge, append (incremental) and replace.
 */
/** Each killed or clean run: the one sync of the test project, logging text to stderr. */
const RUN_K = ['run', 'k', '--log-format', 'text'];
const ROWS = 150_000;
const KILLS = 15;

let db: TestDatabase;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase('kill');
  await db.query(`CREATE TABLE src_events (id bigint PRIMARY KEY, payload text NOT NULL, amount numeric(14,4), updated_at timestamptz NOT NULL)`);
  await db.query(`INSERT INTO src_events SELECT g, 'p' || g, g / 7.0, timestamptz '2025-01-01' + g * interval '1 millisecond' FROM generate_series(1, ${ROWS}) g`);
  await db.query('CREATE SCHEMA dst');
  dir = await mkdtemp(join(tmpdir(), 'ferry-kill-'));
  await mkdir(join(dir, 'syncs'));
  await writeFile(
    join(dir, 'ferry.yml'),
    `name: kill\nstate: sqlite:.ferry/state.db\ndefaults:\n  threads: 3\n  batch_size: 5000\nconnections:\n  pg:\n    type: postgres\n    url: ${db.url}\n`,
  );
  await writeFile(
    join(dir, 'syncs', 'k.yml'),
    [
      'source: pg',
      'destination: pg',
      'streams:',
      '  merged:',
      '    sql: select id, payload, amount, updated_at from public.src_events',
      '    mode: incremental',
      '    cursor: updated_at',
      '    primary_key: [id]',
      '    write: merge',
      '    target: dst.merged',
      '  appended:',
      '    sql: select id, payload, updated_at from public.src_events',
      '    mode: incremental',
      '    cursor: updated_at',
      '    primary_key: [id]',
      '    write: append',
      '    target: dst.appended',
      '  replaced:',
      '    sql: select id, payload from public.src_events',
      '    write: replace',
      '    target: dst.replaced',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('kill -9 at random points', () => {
  it('loses nothing and duplicates nothing', async () => {
    const random = prng(20261122);
    let nextId = ROWS + 1;
    let tick = 0;
    let kills = 0;
    // A clean run sets the scale: kills then land anywhere from process start-up
    // to the last commit of a run of similar size.
    const initial = await runFerryKillable(dir, RUN_K);
    expect(initial.code, initial.stderr).toBe(0);
    const timed = performance.now();
    const clean = await runFerryKillable(dir, RUN_K);
    expect(clean.code, clean.stderr).toBe(0);
    const span = performance.now() - timed;
    for (let i = 0; i < KILLS; i++) {
      // The source keeps changing between attempts: new rows (append-only for the
      // `appended` stream: new ids with newer cursors) and updates for `merged`.
      const inserts = 1 + Math.floor(random() * 2000);
      await db.query(
        `INSERT INTO src_events SELECT g, 'new' || g, g / 3.0, timestamptz '2026-01-01' + $2 * interval '1 second' + (g - $1) * interval '1 microsecond' FROM generate_series($1::bigint, $1::bigint + $3 - 1) g`,
        [nextId, ++tick, inserts],
      );
      nextId += inserts;
      const outcome = await runFerryKillable(dir, RUN_K, Math.floor(span * (0.1 + random() * 0.9)));
      if (outcome.killed) kills++;
      else expect(outcome.code, outcome.stderr).toBe(0);
    }
    console.log(`kill-recovery: ${kills} of ${KILLS} runs killed with SIGKILL (window ${Math.round(span)} ms)`);
    expect(kills).toBeGreaterThanOrEqual(KILLS / 3);
    // Updates only touch the merged stream's view of the data (append streams are insert-only by contract).
    await db.query(`UPDATE src_events SET amount = amount + 1, updated_at = timestamptz '2027-01-01' + id * interval '1 microsecond' WHERE id % 97 = 0 AND id <= ${ROWS}`);
    const final = await runFerryKillable(dir, RUN_K);
    expect(final.code, final.stderr).toBe(0);

    const source = await db.query<{ n: string }>('SELECT count(*) AS n FROM src_events');
    const total = Number(source.rows[0]?.n);
    expect(total).toBe(nextId - 1);
    for (const table of ['merged', 'replaced']) {
      const diff = await db.query<{ n: string }>(
        table === 'merged'
          ? `SELECT count(*) AS n FROM ((SELECT id, payload, amount, updated_at FROM src_events EXCEPT ALL SELECT id, payload, amount, updated_at FROM dst.merged) UNION ALL (SELECT id, payload, amount, updated_at FROM dst.merged EXCEPT ALL SELECT id, payload, amount, updated_at FROM src_events)) d`
          : `SELECT count(*) AS n FROM ((SELECT id, payload FROM src_events EXCEPT ALL SELECT id, payload FROM dst.replaced) UNION ALL (SELECT id, payload FROM dst.replaced EXCEPT ALL SELECT id, payload FROM src_events)) d`,
      );
      expect(Number(diff.rows[0]?.n), `${table} differs from the source`).toBe(0);
    }
    // append: every inserted row exactly once. Rows updated after the fact arrive again
    // by design (append keeps history), so compare ids of insert-era rows only.
    const appended = await db.query<{ n: string; d: string; missing: string }>(
      `SELECT count(*) FILTER (WHERE updated_at < '2027-01-01') AS n, count(DISTINCT id) AS d,
        (SELECT count(*) FROM src_events s WHERE NOT EXISTS (SELECT 1 FROM dst.appended a WHERE a.id = s.id)) AS missing FROM dst.appended`,
    );
    expect(Number(appended.rows[0]?.missing)).toBe(0);
    expect(Number(appended.rows[0]?.n)).toBe(total);
    expect(Number(appended.rows[0]?.d)).toBe(total);
    const leftovers = await db.query<{ n: string }>(`SELECT count(*) AS n FROM pg_tables WHERE tablename LIKE '\\_ferry\\_stage%'`);
    expect(Number(leftovers.rows[0]?.n)).toBe(0);
  }, 600_000);
});

