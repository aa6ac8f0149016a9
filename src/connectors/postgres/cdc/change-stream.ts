import { LogicalReplicationService, type Pgoutput } from 'pg-logical-replication';
import type { CaptureEvent, TableChange } from '../../../core/change-capture.js';
import { CancelledError, FerryError } from '../../../core/errors.js';
import { driverError } from '../driver-error.js';
import { formatLsn, parseLsn } from '../../../core/lsn.js';
import { CATCH_UP_PREFIX } from './catch-up-prefix.js';
import { RawPgoutputPlugin } from './raw-pgoutput-plugin.js';
import type { RelationDecoder } from './relation-decoder.js';


/** How long `close` waits for the server to answer the final confirmation. */
const CLOSE_REPLY_MS = 2000;

/**
 * Decoded transactions waiting for the consumer before the socket is paused,
 * whatever their size (the change count bound is `readAhead`).
 */
const QUEUE_LIMIT = 10_000;

export interface ChangeStreamOptions {
  readonly clientConfig: object;
  readonly slot: string;
  readonly publication: string;
  readonly decoder: RelationDecoder;
  /** Token in Ferry's logical messages that belong to this stream. */
  readonly token: string;
  /** Stop at the first mark (catch-up) instead of reporting marks and going on. */
  readonly catchUp: boolean;
  /** The slot's confirmed LSN at start: what keepalive replies report until Ferry confirms more. */
  readonly confirmed: bigint;
  /**
   * Changes decoded ahead of the consumer before the socket is paused: the next
   * batch is read while the previous one is applied (memory: about one batch more).
   */
  readonly readAhead: number;
}

/**
 * The slot's changes as an async iterable of committed transactions. The
 * replication library delivers messages one at a time and waits for our
 * handler (flow control), so a slow consumer pauses the socket: memory stays
 * bounded by `readAhead` changes (plus one transaction). Nothing is acknowledged here; the
 * caller confirms after its destination commit.
 */
export class ChangeStream {
  readonly #options: ChangeStreamOptions;
  readonly #service: LogicalReplicationService;
  readonly #queue: CaptureEvent[] = [];
  #failure: unknown;
  #wake: (() => void) | undefined;
  #drained: (() => void) | undefined;
  #open: { commitLsn: bigint; changes: TableChange[] } | undefined;
  #confirmed = 0n;
  /** Changes in the queue's transactions. */
  #queuedChanges = 0;

  constructor(options: ChangeStreamOptions) {
    this.#options = options;
    this.#confirmed = options.confirmed;
    this.#service = new LogicalReplicationService(options.clientConfig, {
      acknowledge: { auto: false, timeoutSeconds: 0 },
      flowControl: { enabled: true },
    });
    this.#service.on('data', (_lsn: string, message: Pgoutput.Message) => this.#onMessage(message));
    this.#service.on('heartbeat', (_lsn: string, _time: number, shouldRespond: boolean) => {
      // The server drops a client that does not answer within wal_sender_timeout.
      if (shouldRespond) void this.#send(this.#confirmed);
    });
    this.#service.on('error', (error: Error) => this.#fail(error));
  }

  /** `end`: return (no error) once it aborts; events still queued are dropped unconfirmed. */
  async *events(signal: AbortSignal, end?: AbortSignal): AsyncGenerator<CaptureEvent> {
    if (signal.aborted) throw new CancelledError('change stream cancelled');
    const onAbort = (): void => this.#fail(new CancelledError('change stream cancelled'));
    const onEnd = (): void => this.#wake?.();
    signal.addEventListener('abort', onAbort, { once: true });
    end?.addEventListener('abort', onEnd, { once: true });
    const plugin = new RawPgoutputPlugin({ protoVersion: 1, publicationNames: [this.#options.publication], messages: true });
    this.#service.subscribe(plugin, this.#options.slot).catch((error: unknown) => this.#fail(error));
    try {
      for (;;) {
        if (end?.aborted) return;
        const event = this.#queue.shift();
        if (event) {
          if (event.type === 'transaction') this.#queuedChanges -= event.transaction.changes.length;
          this.#drained?.();
          yield event;
          if (event.type === 'caught_up') return;
          continue;
        }
        if (this.#failure !== undefined) throw this.#failure;
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      end?.removeEventListener('abort', onEnd);
    }
  }

  /** Confirm `lsn` as flushed: the server may drop WAL before it. */
  async confirm(lsn: bigint): Promise<void> {
    if (lsn > this.#confirmed) this.#confirmed = lsn;
    await this.#send(this.#confirmed);
  }

  /**
   * Ask the server to answer the last confirmation before closing: the
   * walsender reads replies asynchronously, and one still unread when the
   * connection ends would leave the slot behind (harmless, but WAL stays pinned).
   */
  async close(): Promise<void> {
    if (this.#confirmed > 0n && this.#failure === undefined) {
      const answered = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, CLOSE_REPLY_MS);
        this.#service.once('heartbeat', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      await this.#service.acknowledge(formatLsn(this.#confirmed - 1n), true).catch(() => false);
      await answered;
    }
    await this.#service.destroy().catch(() => undefined);
  }

  /** The library reports position + 1 (the next byte wanted), so pass the byte before. */
  async #send(lsn: bigint): Promise<void> {
    if (lsn <= 0n) return;
    await this.#service.acknowledge(formatLsn(lsn - 1n));
  }

  async #onMessage(message: Pgoutput.Message): Promise<void> {
    try {
      this.#handle(message);
    } catch (error) {
      this.#fail(error);
      return;
    }
    while (this.#failure === undefined && (this.#queue.length >= QUEUE_LIMIT || this.#queuedChanges >= this.#options.readAhead)) {
      await new Promise<void>((resolve) => (this.#drained = resolve));
    }
  }

  #handle(message: Pgoutput.Message): void {
    const decoder = this.#options.decoder;
    switch (message.tag) {
      case 'relation':
        decoder.relation(message);
        return;
      case 'begin':
        this.#open = { commitLsn: lsnOf(message.commitLsn), changes: [] };
        return;
      case 'insert':
      case 'update':
      case 'delete':
        this.#current().changes.push(...decoder.changes(message));
        return;
      case 'truncate':
        for (const relation of message.relations) {
          const stream = decoder.streamOf(relation.relationOid);
          if (stream) this.#current().changes.push({ stream, columns: decoder.columnsOf(relation.relationOid), change: { op: 'truncate' } });
        }
        return;
      case 'commit': {
        const open = this.#current();
        this.#open = undefined;
        this.#push({ type: 'transaction', transaction: { commitLsn: open.commitLsn, endLsn: lsnOf(message.commitEndLsn), commitTime: message.commitTime as bigint, changes: open.changes } });
        return;
      }
      case 'message':
        if (message.prefix === CATCH_UP_PREFIX && Buffer.from(message.content).toString() === this.#options.token) {
          this.#push({ type: this.#options.catchUp ? 'caught_up' : 'mark', lsn: lsnOf(message.messageLsn) });
        }
        return;
      default:
        return;
    }
  }

  #current(): { commitLsn: bigint; changes: TableChange[] } {
    if (!this.#open) throw new FerryError('pgoutput sent a change outside a transaction');
    return this.#open;
  }

  #push(event: CaptureEvent): void {
    if (event.type === 'transaction') this.#queuedChanges += event.transaction.changes.length;
    this.#queue.push(event);
    this.#wake?.();
  }

  #fail(error: unknown): void {
    this.#failure ??= error instanceof FerryError ? error : driverError(error, `stream slot ${this.#options.slot}`);
    this.#wake?.();
    this.#drained?.();
  }
}

function lsnOf(text: string | null): bigint {
  if (text === null) throw new FerryError('pgoutput sent a message without an LSN');
  return parseLsn(text);
}
