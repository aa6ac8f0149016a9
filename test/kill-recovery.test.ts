import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProjectDir } from './support/make-project-dir.js';
import { prng } from './support/prng.js';
import { killedRun, runFerryKillable, timedCleanRun } from './support/run-ferry-killable.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { createSrcEvents, insertNewEvents, updateEvery97th } from './support/src-events.js';

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
  await createSrcEvents(db, ROWS);
  await db.query('CREATE SCHEMA dst');
  dir = await makeProjectDir('ferry-kill-');
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
    const span = await timedCleanRun(dir, RUN_K);
    for (let i = 0; i < KILLS; i++) {
      // The source keeps changing between attempts: new rows (append-only for the
      // `appended` stream: new ids with newer cursors) and updates for `merged`.
      const inserts = 1 + Math.floor(random() * 2000);
      await insertNewEvents(db, nextId, ++tick, inserts);
      nextId += inserts;
      if (await killedRun(dir, RUN_K, Math.floor(span * (0.1 + random() * 0.9)))) kills++;
    }
    console.log(`kill-recovery: ${kills} of ${KILLS} runs killed with SIGKILL (window ${Math.round(span)} ms)`);
    expect(kills).toBeGreaterThanOrEqual(KILLS / 3);
    // Updates only touch the merged stream's view of the data (append streams are insert-only by contract).
    await updateEvery97th(db, ROWS);
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

