import { Readable } from 'node:stream';
import type pg from 'pg';
import type { RowRewriter } from './csv-row-patch.js';

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const ERROR_RESPONSE = 0x45; // 'E'
/** Messages the server may send during a COPY OUT that carry no rows: CopyOutResponse, notices, parameter changes, notifications. */
const SKIPPED = new Set([0x48, 0x4e, 0x53, 0x41]); // 'H' 'N' 'S' 'A'
const HEADER = 5;

/**
 * How long a socket read waits for more bytes, unless GATHER_BYTES have come
 * already. Postgres sends 8 KiB at a time, and a reader taking each send as
 * it arrived spent a PG -> CSV run's client CPU on 35,000 reads of 4.5 KiB;
 * waiting a millisecond makes them 5,000 of about 30 KiB (client CPU of the
 * COPY 0.75 s -> 0.37 s for 1M rows, and the COPY no slower). Reads are never
 * larger than that: the socket stops reading from the kernel at its
 * high-water mark (16 KiB on Node 20), but the kernel keeps receiving meanwhile.
 */
const GATHER_MS = 1;
const GATHER_BYTES = 64 * 1024;

/**
 * `COPY ... TO STDOUT`, read straight off the socket. Two modes:
 *
 * - framed (the default): the output is the server's CopyData messages
 *   themselves (`'d'`, int32 length, payload), as they came off the socket: a
 *   binary COPY read this way is written into another Postgres with `CopyIn`
 *   (`framed`) without ever being cut into rows or copied. The only per-row
 *   work is reading each message's 5-byte header to find the next one.
 * - `payloads`: the output is the messages' payloads (the COPY's text, CSV or
 *   binary file), one chunk per socket read, each ending on a message (row)
 *   boundary; `messages` counts the messages. This is what pg-copy-streams'
 *   `to` yields, without a buffer allocated and copied per row (it cost a
 *   third of a PG -> CSV run's client CPU).
 *
 * A pg submittable: it takes the socket from the client while the COPY runs
 * and hands back the bytes after CopyDone (or from an ErrorResponse on) to the
 * client, which then reports the result (or the error) as for any query.
 */
export class CopyDataOut extends Readable {
  readonly text: string;
  /** The server's `COPY n`, once the COPY is done. */
  rowCount = 0;
  /** CopyData messages received whole: with a text or CSV COPY, one per row (binary: plus one for the trailer). */
  messages = 0;
  readonly #payloads: boolean;
  readonly #rewriter: RowRewriter | undefined;
  #connection: pg.Connection | undefined;
  #pgData: ((chunk: Buffer) => void) | undefined;
  readonly #onReadable = (): void => {
    const socket = this.#connection?.stream;
    if (!socket || socket.readableLength >= GATHER_BYTES) {
      this.#pump();
      return;
    }
    // Wait a moment for more (see GATHER_MS); meanwhile the kernel keeps receiving what the server sends.
    this.#gathering ??= setTimeout(() => {
      this.#gathering = undefined;
      this.#pump();
    }, GATHER_MS);
  };
  #gathering: NodeJS.Timeout | undefined;
  /** Bytes of the current message still to come: forwarded when it is CopyData, dropped otherwise. */
  #remaining = 0;
  #forwarding = false;
  /** The received part of a CopyData message cut by the end of a socket read. */
  #carry: Buffer[] = [];
  /** The start of a message whose 5-byte header was cut by the end of a socket read. */
  #partial: Buffer | undefined;
  #wanted = false;
  #pumping = false;
  #detached = false;

  /**
   * `readAhead`: socket reads' worth of chunks held for the consumer before
   * the socket is left unread (default 16, about half a megabyte). The chunks are
   * handed out one by one as they were pushed (object mode): a byte-mode
   * stream would concatenate everything buffered into a new buffer on each read.
   */
  constructor(text: string, options?: { readonly readAhead?: number; readonly payloads?: boolean; readonly rewrite?: RowRewriter }) {
    super({ objectMode: true, highWaterMark: options?.readAhead ?? 16 });
    this.text = text;
    this.#rewriter = options?.rewrite;
    this.#payloads = (options?.payloads ?? false) || this.#rewriter !== undefined;
  }

  /** Called by pg when the query is dispatched. */
  submit(connection: pg.Connection): void {
    this.#connection = connection;
    const socket = connection.stream;
    const listeners = socket.listeners('data') as ((chunk: Buffer) => void)[];
    if (listeners.length !== 1) throw new Error(`COPY OUT expects one data listener on the connection, found ${listeners.length}`);
    this.#pgData = listeners[0];
    socket.removeListener('data', this.#pgData as (chunk: Buffer) => void);
    socket.pause();
    socket.on('readable', this.#onReadable);
    connection.query(this.text);
  }

  override _read(): void {
    this.#wanted = true;
    this.#pump();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.#gathering);
    this.#gathering = undefined;
    callback(error);
  }

  /** pg: the server reported an error (its bytes were handed back by `#finish`), or the connection failed. */
  handleError(error: Error): void {
    this.destroy(error);
  }

  /** pg: `COPY n`. */
  handleCommandComplete(message: { readonly text?: string }): void {
    const match = /^COPY (\d+)/.exec(message.text ?? '');
    if (match) this.rowCount = Number(match[1]);
  }

  handleReadyForQuery(): void {
    this.#connection = undefined;
  }

  /** Read from the socket while the consumer wants more. */
  #pump(): void {
    const socket = this.#connection?.stream;
    if (this.#pumping || !this.#wanted || !socket || this.#detached) return;
    this.#pumping = true;
    try {
      let chunk: Buffer | null;
      while (this.#wanted && !this.#detached && (chunk = socket.read() as Buffer | null) !== null) this.#wanted = this.#take(chunk);
    } catch (error) {
      // A row the rewriter refused: the COPY is abandoned (the caller discards the connection).
      this.#detached = true;
      this.destroy(error as Error);
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * Take one socket read; false when the consumer has enough for now. Framed,
   * the whole CopyData messages are pushed as they are; `payloads`, their
   * payloads are moved together over the headers in the read's own buffer
   * (`copyWithin`, no allocation: a copy into new buffers cost more in page
   * faults than in copying), each then rewritten where it is by `rewrite` if
   * given. One chunk per run of messages. A message cut by
   * the end of the read is held (`#carry`) until its last byte arrives, so
   * every chunk ends on a message (row) boundary: a writer abandoning its
   * framed COPY midway can then send CopyFail without the server reading it
   * as the rest of a row.
   */
  #take(input: Buffer): boolean {
    const resumed = this.#resume(input);
    if (!resumed) return true;
    const { chunk } = resumed;
    let { pos, wanted } = resumed;
    const end = chunk.length;
    const payloads = this.#payloads;
    const rewriter = this.#rewriter;
    // What this read forwards so far sits at [first, write).
    let first = pos;
    let write = pos;
    while (pos < end) {
      if (end - pos < HEADER) {
        this.#partial = chunk.subarray(pos);
        break;
      }
      const code = chunk[pos] as number;
      const next = pos + 1 + chunk.readUInt32BE(pos + 1);
      if (code === COPY_DATA && next <= end) {
        if (payloads) {
          chunk.copyWithin(write, pos + HEADER, next);
          write = rewriter ? rewriter.rewrite(chunk, write, write + next - pos - HEADER) : write + next - pos - HEADER;
        } else {
          write = next;
        }
        this.messages++;
        pos = next;
        continue;
      }
      if (write > first) wanted = this.push(chunk.subarray(first, write)) && wanted;
      // Framed runs restart after this message; moved rows go on from where they stopped.
      first = payloads ? write : next;
      write = first;
      if (code === COPY_DATA) {
        this.#remaining = next - end;
        this.#forwarding = true;
        this.#carry.push(chunk.subarray(payloads ? pos + HEADER : pos));
        return wanted;
      }
      const answer = this.#other(code, chunk, pos, next, wanted);
      if (answer !== undefined) return answer;
      pos = next;
    }
    if (write > first) wanted = this.push(chunk.subarray(first, write)) && wanted;
    return wanted;
  }

  /**
   * The start of a socket read: a message header the last read cut is joined
   * to it, and the message that read left in progress takes its bytes (a
   * CopyData one is pushed, whole, when they complete it). Undefined when
   * the message in progress takes the whole read.
   */
  #resume(input: Buffer): { chunk: Buffer; pos: number; wanted: boolean } | undefined {
    let chunk = input;
    if (this.#partial) {
      chunk = Buffer.concat([this.#partial, input]);
      this.#partial = undefined;
    }
    if (this.#remaining === 0) return { chunk, pos: 0, wanted: true };
    const n = Math.min(this.#remaining, chunk.length);
    this.#remaining -= n;
    if (this.#forwarding) this.#carry.push(chunk.subarray(0, n));
    if (this.#remaining > 0) return undefined;
    let wanted = true;
    if (this.#forwarding) {
      this.messages++;
      const whole = this.#carry.length === 1 ? (this.#carry[0] as Buffer) : Buffer.concat(this.#carry);
      this.#carry = [];
      wanted = this.push(this.#rewriter ? whole.subarray(0, this.#rewriter.rewrite(whole, 0, whole.length)) : whole);
    }
    return { chunk, pos: n, wanted };
  }

  /**
   * A message other than a whole CopyData one at `pos`: the end of the COPY,
   * its error, or one to skip. The stream's answer when this read ends here
   * (done, failed, an unexpected message, or a skipped one cut by the end of
   * the read); undefined to go on after it.
   */
  #other(code: number, chunk: Buffer, pos: number, next: number, wanted: boolean): boolean | undefined {
    if (code === COPY_DONE) return this.#finish(chunk.subarray(next));
    if (code === ERROR_RESPONSE) return this.#finish(chunk.subarray(pos), true);
    if (!SKIPPED.has(code)) {
      // Not a COPY OUT at all: the connection's state is unknown, so it is not handed back (the caller discards it).
      this.#detached = true;
      this.destroy(new Error(`unexpected message '${String.fromCharCode(code)}' during COPY TO STDOUT`));
      return false;
    }
    if (next > chunk.length) {
      this.#remaining = next - chunk.length;
      this.#forwarding = false;
      return wanted;
    }
    return undefined;
  }

  /**
   * The COPY is over (CopyDone) or failed (ErrorResponse): give the rest of the
   * bytes back to pg, which calls handleCommandComplete or handleError, then
   * handleReadyForQuery.
   */
  #finish(rest: Buffer, failed = false): boolean {
    const connection = this.#connection;
    clearTimeout(this.#gathering);
    this.#gathering = undefined;
    this.#detached = true;
    if (!failed) this.push(null);
    if (!connection || !this.#pgData) return false;
    const socket = connection.stream;
    socket.removeListener('readable', this.#onReadable);
    socket.on('data', this.#pgData);
    if (rest.length > 0) this.#pgData(rest);
    // Reading resumes once this read's callers have returned (as pg's own data handler expects).
    process.nextTick(() => socket.resume());
    return false;
  }
}
