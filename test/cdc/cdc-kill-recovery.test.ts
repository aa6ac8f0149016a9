import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProjectDir } from '../support/make-project-dir.js';
import { prng } from '../support/prng.js';
import { runFerryKillable } from '../support/run-ferry-killable.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { dropSlot } from './cdc-fixture.js';

/**
 * The numbered-rows oracle: a writer inserts, updates and deletes numbered rows
 * in transactions while `ferry run` (catch-up cdc) is killed with SIGKILL at
 * random points: during slot creation, the snapshot, applying, and between a
 * destination commit and the slot confirmation. After the writer stops and a
 * clean run, the target equals the source exactly.
 */
/** Each killed or clean run: the one sync of the test project, logging text to stderr. */
const RUN_K = ['run', 'k', '--log-format', 'text'];
const INITIAL_ROWS = 20_000;
/** Kills the issue asks for; attempts go on (up to MAX_ATTEMPTS) until that many landed, since a loaded machine lets more runs finish first. */
const KILLS = 20;
const MAX_ATTEMPTS = 45;
/** What a run may fail with right after a killed one, while the server still holds the slot for it. */
const TRANSIENT = /is in use by another connection|already exists|is active for PID/;

let source: TestDatabase;
let target: TestDatabase;
let dir: string;
const slot = `ferry_t_kill_${randomBytes(4).toString('hex')}`;

/** Random transactions of 1 to 20 numbered-row changes until `stop` is set. */
async function writer(state: { stop: boolean; nextId: number; transactions: number }, random: () => number): Promise<void> {
  const client = new pg.Client({ connectionString: source.url });
  await client.connect();
  try {
    while (!state.stop) {
      await client.query('BEGIN');
      const statements = 1 + Math.floor(random() * 20);
      for (let i = 0; i < statements; i++) {
        const pick = random();
        const id = 1 + Math.floor(random() * (state.nextId - 1));
        if (pick < 0.4) await client.query('INSERT INTO numbered VALUES ($1, 0, $2)', [state.nextId++, `i${state.transactions}`]);
        else if (pick < 0.8) await client.query('UPDATE numbered SET version = version + 1, note = $2 WHERE id = $1', [id, `u${state.transactions}`]);
        else await client.query('DELETE FROM numbered WHERE id = $1', [id]);
      }
      await client.query('COMMIT');
      state.transactions++;
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    await client.end();
  }
}

/** The stream's committed position in the target ('' before the first snapshot commit). */
async function position(): Promise<string> {
  const result = await target.query<{ state: string }>(`SELECT state::text FROM _ferry_checkpoints WHERE stream = 'public.numbered'`).catch(() => ({ rows: [] }));
  return result.rows[0]?.state ?? '';
}

beforeAll(async () => {
  source = await createTestDatabase('cdckill');
  target = await createTestDatabase('cdckilldst');
  await source.query('CREATE TABLE numbered (id bigint PRIMARY KEY, version int NOT NULL, note text)');
  await source.query(`INSERT INTO numbered SELECT g, 0, 'seed' FROM generate_series(1, ${INITIAL_ROWS}) g`);
  dir = await makeProjectDir('ferry-cdc-kill-');
  await writeFile(join(dir, 'ferry.yml'), `name: cdckill\nstate: sqlite:.ferry/state.db\nconnections:\n  src:\n    type: postgres\n    url: ${source.url}\n  dst:\n    type: postgres\n    url: ${target.url}\n`);
  await writeFile(join(dir, 'syncs', 'k.yml'), `source: src\ndestination: dst\ncdc:\n  slot: ${slot}\n  batch_rows: 500\nstreams:\n  public.numbered:\n    mode: cdc\n`);
});

afterAll(async () => {
  if (source) await dropSlot(source, slot);
  await source?.drop();
  await target?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('cdc: kill -9 at random points while a writer changes numbered rows', () => {
  it('ends with the target equal to the source: no missing, extra or stale rows', async () => {
    const random = prng(20261201);
    const state = { stop: false, nextId: INITIAL_ROWS + 1, transactions: 0 };
    const writing = writer(state, prng(7));
    let kills = 0;
    let attempts = 0;
    let killedAfterProgress = 0;
    let completed = 0;
    let span = 8000;
    try {
      for (let i = 0; kills < KILLS && i < MAX_ATTEMPTS; i++) {
        attempts++;
        // Early attempts land in slot creation and the snapshot; later ones are
        // scaled to a clean run of the same backlog, so they land mid-apply.
        if (i === 6) {
          let started = performance.now();
          let clean = await runFerryKillable(dir, RUN_K);
          for (let retry = 0; retry < 10 && clean.code !== 0 && TRANSIENT.test(clean.stderr); retry++) {
            await new Promise((r) => setTimeout(r, 5000));
            started = performance.now();
            clean = await runFerryKillable(dir, RUN_K);
          }
          expect(clean.code, clean.stderr).toBe(0);
          span = Math.max(500, performance.now() - started);
        }
        const before = await position();
        const outcome = await runFerryKillable(dir, RUN_K, Math.floor(span * (0.05 + random() * 0.95)));
        if (outcome.killed) {
          kills++;
          if ((await position()) !== before) killedAfterProgress++;
        } else if (outcome.code === 0) {
          completed++;
        } else {
          // A run killed inside CREATE_REPLICATION_SLOT leaves the server finishing that
          // command (it waits for running transactions); until it does, the slot is busy.
          expect(outcome.stderr).toMatch(TRANSIENT);
        }
      }
    } finally {
      state.stop = true;
      await writing;
    }
    console.log(`cdc kill-recovery: ${kills} of ${attempts} runs killed (${killedAfterProgress} after committing a batch), ${completed} completed; window ${Math.round(span)} ms; writer committed ${state.transactions} transactions`);
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    expect(killedAfterProgress).toBeGreaterThan(0);
    let final = await runFerryKillable(dir, RUN_K);
    for (let retry = 0; retry < 10 && final.code !== 0 && TRANSIENT.test(final.stderr); retry++) {
      await new Promise((r) => setTimeout(r, 5000));
      final = await runFerryKillable(dir, RUN_K);
    }
    expect(final.code, final.stderr).toBe(0);
    const sourceRows = (await source.query('SELECT id::text, version, note FROM numbered ORDER BY id')).rows;
    const targetRows = (await target.query('SELECT id::text, version, note FROM numbered ORDER BY id')).rows;
    expect(targetRows.length).toBe(sourceRows.length);
    expect(targetRows).toEqual(sourceRows);
  }, 600_000);
});
