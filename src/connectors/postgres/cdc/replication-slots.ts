import pg from 'pg';
import type { SlotStatus } from '../../../core/change-capture.js';
import type { ConnectorContext } from '../../../core/connector.js';
import { FerryError } from '../../../core/errors.js';
import { connectionError } from '../client.js';
import { clientConfig, type PostgresConfig } from '../config.js';
import { driverError, errorCode } from '../driver-error.js';
import { parseLsn } from '../../../core/lsn.js';
import { PostgresSnapshotSession } from './snapshot-session.js';

/** Driver settings of a replication connection (walsender in database mode). */
export function replicationClientConfig(config: PostgresConfig): pg.ClientConfig {
  return { ...clientConfig(config), replication: 'database' } as pg.ClientConfig;
}

async function openReplicationClient(config: PostgresConfig, ctx: ConnectorContext): Promise<pg.Client> {
  const client = new pg.Client(replicationClientConfig(config));
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw connectionError(config, ctx, error);
  }
  return client;
}

interface CreatedSlot {
  readonly consistent_point: string;
  readonly snapshot_name: string;
}

/**
 * Create a logical slot with pgoutput and export its snapshot. The returned
 * session keeps the replication connection open: the snapshot lives as long
 * as it does. A temporary slot disappears with the connection.
 */
export async function createSlotWithSnapshot(
  config: PostgresConfig,
  ctx: ConnectorContext,
  slot: string,
  temporary: boolean,
): Promise<PostgresSnapshotSession> {
  const client = await openReplicationClient(config, ctx);
  try {
    const result = await client.query<CreatedSlot>(`CREATE_REPLICATION_SLOT ${slot} ${temporary ? 'TEMPORARY ' : ''}LOGICAL pgoutput EXPORT_SNAPSHOT`);
    const row = result.rows[0];
    if (!row) throw new FerryError(`CREATE_REPLICATION_SLOT ${slot} returned nothing`);
    return new PostgresSnapshotSession({ config, ctx, exporter: client, snapshotName: row.snapshot_name, lsn: parseLsn(row.consistent_point) });
  } catch (error) {
    await client.end().catch(() => undefined);
    const hint = errorCode(error) === '42710'
      ? `the slot exists already; if no Ferry sync uses it, remove it: SELECT pg_drop_replication_slot('${slot}')`
      : 'the user needs the REPLICATION attribute and the server wal_level = logical with a free max_replication_slots entry';
    throw driverError(error, `create replication slot ${slot}`, { hint });
  }
}

interface SlotRow {
  readonly active: boolean | null;
  readonly confirmed: string | null;
  readonly restart: string | null;
  readonly wal: string;
  readonly now: string;
  readonly database: string | null;
  readonly plugin: string | null;
}

/** The slot as the server sees it (exists, confirmed LSN, retained WAL). */
export async function slotStatus(client: pg.ClientBase, slot: string): Promise<SlotStatus & { readonly database?: string; readonly plugin?: string }> {
  const result = await client.query<SlotRow>(
    `SELECT s.active, s.confirmed_flush_lsn::text AS confirmed, s.restart_lsn::text AS restart,
            pg_current_wal_lsn()::text AS wal, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint::text AS now,
            s.database::text AS database, s.plugin::text AS plugin
     FROM (SELECT 1) one LEFT JOIN pg_replication_slots s ON s.slot_name = $1`,
    [slot],
  );
  const row = result.rows[0];
  const wal = parseLsn(row?.wal ?? '0/0');
  const serverTime = row ? { serverTime: BigInt(row.now) } : {};
  if (!row || row.confirmed === null || row.restart === null) {
    return { slot, exists: row?.active !== null && row?.active !== undefined, active: false, walLsn: wal, retainedBytes: 0n, lagBytes: 0n, ...serverTime };
  }
  const confirmed = parseLsn(row.confirmed);
  const restart = parseLsn(row.restart);
  return {
    slot,
    exists: true,
    active: row.active === true,
    confirmedLsn: confirmed,
    restartLsn: restart,
    walLsn: wal,
    retainedBytes: wal > restart ? wal - restart : 0n,
    lagBytes: wal > confirmed ? wal - confirmed : 0n,
    ...serverTime,
    ...(row.database !== null ? { database: row.database } : {}),
    ...(row.plugin !== null ? { plugin: row.plugin } : {}),
  };
}

/** Drop the slot if it exists; true when it did. */
export async function dropSlot(client: pg.ClientBase, slot: string): Promise<boolean> {
  const result = await client.query<{ dropped: boolean }>(
    'SELECT pg_drop_replication_slot(slot_name) IS NOT NULL AS dropped FROM pg_replication_slots WHERE slot_name = $1',
    [slot],
  );
  return result.rows.length > 0;
}
