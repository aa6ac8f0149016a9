import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { CaptureEvent, CaptureOptions, ChangeCapture, SlotStatus, SnapshotSession } from '../../../core/change-capture.js';
import type { ConnectorContext } from '../../../core/connector.js';
import { withPooledClient } from '../client.js';
import type { PostgresConfig } from '../config.js';
import { FerryError } from '../../../core/errors.js';
import { formatLsn } from '../../../core/lsn.js';
import { driverError } from '../driver-error.js';
import { parseLsn } from '../../../core/lsn.js';
import { CATCH_UP_PREFIX } from './catch-up-prefix.js';
import type { ChangeStream } from './change-stream.js';
import { checkReplicaIdentity, dropPublication, ensurePublication } from './publication.js';
import { RelationDecoder } from './relation-decoder.js';
import { createSlotWithSnapshot, dropSlot, replicationClientConfig, slotStatus } from './replication-slots.js';

const SLOT_POLL_MS = 200;
const SLOT_RELEASE_MS = 15_000;
/** Changes decoded ahead of the consumer when the caller does not say. */
const READ_AHEAD = 10_000;

/**
 * Postgres logical replication for one sync: its publication, its permanent
 * pgoutput slot, snapshots exported by slots, and the decoded change stream.
 */
export class PostgresChangeCapture implements ChangeCapture {
  readonly #config: PostgresConfig;
  readonly #ctx: ConnectorContext;
  readonly #pool: pg.Pool;
  readonly #options: CaptureOptions;
  #stream: ChangeStream | undefined;
  /** Identifies this capture's marks among every logical message on the server. */
  readonly #token = randomUUID();
  /** When each of this capture's marks was written (statement start, source clock), by the LSN it came back with. */
  readonly #markTimes = new Map<bigint, bigint>();

  constructor(config: PostgresConfig, ctx: ConnectorContext, pool: pg.Pool, options: CaptureOptions) {
    this.#config = config;
    this.#ctx = ctx;
    this.#pool = pool;
    this.#options = options;
  }

  prepare(): Promise<void> {
    return this.#withClient('prepare the publication', async (client) => {
      await checkReplicaIdentity(client, this.#options.tables, this.#config.schema);
      await ensurePublication(client, this.#options.publication, this.#options.sync, this.#options.tables, this.#config.schema);
    });
  }

  status(): Promise<SlotStatus> {
    return this.#withClient('read the replication slot', (client) => slotStatus(client, this.#options.slot));
  }

  createSlot(): Promise<SnapshotSession> {
    return createSlotWithSnapshot(this.#config, this.#ctx, this.#options.slot, false);
  }

  snapshot(): Promise<SnapshotSession> {
    const name = `${this.#options.slot.slice(0, 40)}_tmp_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    return createSlotWithSnapshot(this.#config, this.#ctx, name, true);
  }

  async *changes(options: { readonly catchUp: boolean; readonly readAhead?: number; readonly end?: AbortSignal }, signal: AbortSignal): AsyncIterable<CaptureEvent> {
    const confirmed = await this.#waitUntilFree(signal);
    if (options.catchUp) await this.mark();
    // pg-logical-replication is loaded by the first run that streams changes, not by every postgres run.
    const { ChangeStream } = await import('./change-stream.js');
    const stream = new ChangeStream({
      clientConfig: replicationClientConfig(this.#config),
      slot: this.#options.slot,
      publication: this.#options.publication,
      decoder: new RelationDecoder(this.#options.tables, this.#config.schema),
      token: this.#token,
      catchUp: options.catchUp,
      confirmed,
      readAhead: options.readAhead ?? READ_AHEAD,
    });
    this.#stream = stream;
    try {
      for await (const event of stream.events(signal, options.end)) {
        if (event.type === 'transaction') yield event;
        else yield this.#timed(event);
      }
    } finally {
      this.#stream = undefined;
      await stream.close();
    }
  }

  /**
   * A non-transactional logical message is decoded in WAL order: when it comes
   * back, every transaction committed before this call has been delivered.
   */
  async mark(): Promise<void> {
    const result = await this.#withClient('mark the WAL position', (client) =>
      client.query<{ lsn: string; at: string }>(
        `SELECT pg_logical_emit_message(false, $1, $2)::text AS lsn, (extract(epoch FROM statement_timestamp()) * 1000000)::bigint::text AS at`,
        [CATCH_UP_PREFIX, this.#token],
      ),
    );
    const row = result.rows[0];
    // The message comes back with the LSN the function returned (the end of its record).
    if (row) this.#markTimes.set(parseLsn(row.lsn), BigInt(row.at));
  }

  /** A mark event with the time it was written: every transaction committed before then has been delivered. */
  #timed<E extends { readonly lsn: bigint }>(event: E): E & { at?: bigint } {
    const at = this.#markTimes.get(event.lsn);
    this.#markTimes.delete(event.lsn);
    return at === undefined ? event : { ...event, at };
  }

  async confirm(lsn: bigint): Promise<void> {
    // Silently dropping a confirmation would pin WAL until some later run: say so instead.
    if (!this.#stream) throw new FerryError(`cannot confirm ${formatLsn(lsn)} on slot ${this.#options.slot}: the change stream is closed`, { sync: this.#options.sync });
    await this.#stream.confirm(lsn);
  }

  drop(): Promise<{ readonly slot: boolean; readonly publication: boolean }> {
    return this.#withClient('drop the slot and publication', async (client) => ({
      slot: await dropSlot(client, this.#options.slot),
      publication: await dropPublication(client, this.#options.publication, this.#options.sync),
    }));
  }

  async close(): Promise<void> {
    await this.#stream?.close();
  }

  /**
   * A run killed a moment ago leaves its walsender holding the slot until the
   * server notices the closed socket: wait for that (a live run holds the sync
   * lock, so an active slot here is a dead one's). Returns the slot's confirmed LSN.
   */
  async #waitUntilFree(signal: AbortSignal): Promise<bigint> {
    for (let waited = 0; ; waited += SLOT_POLL_MS) {
      const status = await this.status();
      if (!status.active || signal.aborted) return status.confirmedLsn ?? 0n;
      if (waited >= SLOT_RELEASE_MS) {
        throw new FerryError(`replication slot ${this.#options.slot} is in use by another connection`, {
          sync: this.#options.sync,
          hint: `another process streams from it; see: SELECT active_pid FROM pg_replication_slots WHERE slot_name = '${this.#options.slot}'`,
        });
      }
      await new Promise((r) => setTimeout(r, SLOT_POLL_MS));
    }
  }

  async #withClient<T>(what: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withPooledClient(this.#pool, this.#config, this.#ctx, async (client) => {
      try {
        return await fn(client);
      } catch (error) {
        throw driverError(error, what, { sync: this.#options.sync });
      }
    });
  }
}
