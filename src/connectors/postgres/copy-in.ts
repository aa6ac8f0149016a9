import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

type CopyFromStream = ReturnType<typeof copyFrom>;

/**
 * One `COPY ... FROM STDIN` kept open across many writes. `write` resolves
 * when the socket can take more (backpressure: the caller awaits it before
 * encoding the next batch); a server-side failure surfaces on the next call.
 */
export class CopyIn {
  readonly #stream: CopyFromStream;
  readonly #done: Promise<void>;
  #error: unknown;

  /**
   * `framed`: the bytes written are whole CopyData messages already (as
   * `CopyDataOut` reads them from another server), sent to the socket as they
   * are instead of wrapped in one message per write.
   */
  constructor(client: pg.ClientBase, sql: string, options: { readonly framed?: boolean } = {}) {
    const stream = copyFrom(sql);
    if (options.framed === true) sendAsFramed(stream);
    this.#stream = client.query(stream);
    // Keep the first error; never let an 'error' event go unheard.
    this.#stream.on('error', (error: unknown) => {
      this.#error ??= error;
    });
    this.#done = finished(this.#stream).then(
      () => undefined,
      (error: unknown) => {
        this.#error ??= error;
      },
    );
  }

  /** Send bytes; resolves once the connection has room for more. */
  async write(chunk: Buffer | Uint8Array): Promise<void> {
    this.#throwIfFailed();
    if (this.#stream.write(chunk)) return;
    await Promise.race([once(this.#stream, 'drain'), this.#done]);
    this.#throwIfFailed();
  }

  /** End the COPY; resolves with the row count the server reports. */
  async finish(): Promise<number> {
    this.#throwIfFailed();
    this.#stream.end();
    await this.#done;
    this.#throwIfFailed();
    return this.#stream.rowCount;
  }

  /**
   * Abandon the COPY (the server rolls it back). Never throws; resolves false
   * when the server did not confirm in time (the connection is then unusable).
   */
  async cancel(timeoutMs = 5000): Promise<boolean> {
    if (!this.#stream.destroyed) this.#stream.destroy();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const confirmed = await Promise.race([this.#done.then(() => true as const), timeout]);
    clearTimeout(timer);
    return confirmed;
  }

  #throwIfFailed(): void {
    if (this.#error !== undefined) throw this.#error;
  }
}

/**
 * pg-copy-streams wraps each chunk in a CopyData header (`flushChunk`); for
 * bytes that are CopyData messages already it writes them to the socket as
 * they are. Everything else (waiting for CopyInResponse, drain, CopyDone,
 * CopyFail on destroy) stays the library's.
 */
function sendAsFramed(stream: CopyFromStream): void {
  const target = stream as unknown as { flushChunk?: unknown; connection?: { stream: { write(chunk: Uint8Array): boolean } } };
  if (typeof target.flushChunk !== 'function') throw new Error('pg-copy-streams changed: CopyStreamQuery.flushChunk is missing, framed COPY cannot be sent');
  target.flushChunk = (chunk: Uint8Array): boolean => {
    if (!target.connection) throw new Error('framed COPY written before the connection was attached');
    return target.connection.stream.write(chunk);
  };
}
