import type { TestDatabase } from './postgres.js';

/**
 * The `public.src_events` table the kill-recovery tests sync from Postgres:
 * `rows` events with ids 1..rows, a numeric amount and strictly increasing
 * microsecond cursors, so merge, incremental append and replace can all be checked.
 */
export async function createSrcEvents(db: TestDatabase, rows: number): Promise<void> {
  await db.query('CREATE TABLE src_events (id bigint PRIMARY KEY, payload text NOT NULL, amount numeric(14,4), updated_at timestamptz NOT NULL)');
  await db.query(`INSERT INTO src_events SELECT g, 'p' || g, g / 7.0, timestamptz '2025-01-01' + g * interval '1 millisecond' FROM generate_series(1, ${rows}) g`);
}

/**
 * Inserts `count` new events from id `firstId` between kills; `round` puts their
 * cursors in a later second than every earlier row, as incremental append requires.
 */
export async function insertNewEvents(db: TestDatabase, firstId: number, round: number, count: number): Promise<void> {
  await db.query(
    `INSERT INTO src_events SELECT g, 'new' || g, g / 3.0, timestamptz '2026-01-01' + $2 * interval '1 second' + (g - $1) * interval '1 microsecond' FROM generate_series($1::bigint, $1::bigint + $3 - 1) g`,
    [firstId, round, count],
  );
}

/** Updates every 97th of the first `rows` events with a newer cursor, for the final merge check. */
export async function updateEvery97th(db: TestDatabase, rows: number): Promise<void> {
  await db.query(`UPDATE src_events SET amount = amount + 1, updated_at = timestamptz '2027-01-01' + id * interval '1 microsecond' WHERE id % 97 = 0 AND id <= ${rows}`);
}
