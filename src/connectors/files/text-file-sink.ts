import { createWriteStream, fdatasync, type WriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { createGzip, type Gzip } from 'node:zlib';
import type { Row } from '../../core/schema.js';

/** Writes rows into one file; nothing is published until the destination renames it. */
export interface RowFileWriter {
  write(rows: readonly Row[]): Promise<void>;
  /** Flush everything to disk (fsync) and close the file. */
  finish(): Promise<void>;
  /** Stop and delete the partial file. Safe after finish or twice. */
  discard(): Promise<void>;
}

/** Flush a file's contents to stable storage. */
export async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Bytes gathered before they go to the file: bytes passed through arrive as one
 * small chunk per socket read (about 30 KiB from a COPY), and a write per chunk
 * cost more than the copy into one buffer.
 */
const WRITE_BYTES = 1 << 20;

/**
 * Bytes the file stream queues before `write` waits for it: two gathered
 * buffers, so one is being written while the next fills.
 */
const QUEUED_BYTES = 2 * WRITE_BYTES + 1;

/** Gathering buffers kept for reuse: the queue holds two while a third fills. */
const SPARE_BUFFERS = 3;

/**
 * Bytes written between two early `fdatasync`s. The final fsync of a 150 MiB
 * file waited 100-250 ms for the disk at the end of the run; syncing as the
 * file grows does that work while the source is still producing, and the
 * final fsync (which stays: the file must be on disk before it is published)
 * has only the tail left.
 */
const SYNC_BYTES = 32 << 20;

/**
 * A text file (optionally gzip-compressed) written with backpressure. Text
 * goes out as it comes (a batch's worth); bytes are gathered into
 * WRITE_BYTES buffers first, in order with the text.
 */
export class TextFileSink {
  readonly #path: string;
  readonly #file: WriteStream;
  readonly #gzip: Gzip | undefined;
  #failure: Error | undefined;
  /** Bytes not yet handed to the stream: `#pending[0, #filled)`. */
  #pending: Buffer | undefined;
  /**
   * Gathering buffers the stream is done with, for reuse: filling a new
   * megabyte costs its page faults (a 150 MiB file spent more CPU faulting
   * fresh buffers in than copying into them).
   */
  readonly #spare: Buffer[] = [];
  #filled = 0;
  /** The file's descriptor once open, for the early syncs. */
  #fd: number | undefined;
  /** `bytesWritten` when the last early sync started, and that sync while it runs. */
  #syncedTo = 0;
  #syncing: Promise<void> | undefined;

  constructor(path: string, gzip: boolean) {
    this.#path = path;
    this.#file = createWriteStream(path, { flags: 'wx', highWaterMark: QUEUED_BYTES });
    this.#gzip = gzip ? createGzip() : undefined;
    this.#gzip?.pipe(this.#file);
    const fail = (error: Error): void => {
      this.#failure ??= error;
    };
    this.#file.on('error', fail);
    this.#file.once('open', (fd: number) => {
      this.#fd = fd;
    });
    this.#gzip?.on('error', fail);
  }

  get #head(): Writable {
    return this.#gzip ?? this.#file;
  }

  /** Text is written as UTF-8; bytes as they are. */
  async write(data: string | Uint8Array): Promise<void> {
    if (this.#failure) throw this.#failure;
    if (typeof data === 'string') {
      await this.#flush();
      await this.#push(data);
      return;
    }
    // Buffer#copy: twice as fast as Uint8Array#set here.
    const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let at = 0;
    while (at < data.length) {
      if (this.#filled === 0 && data.length - at >= WRITE_BYTES) {
        await this.#push(data.subarray(at));
        return;
      }
      const pending = (this.#pending ??= this.#spare.pop() ?? Buffer.allocUnsafe(WRITE_BYTES));
      const end = Math.min(data.length, at + WRITE_BYTES - this.#filled);
      bytes.copy(pending, this.#filled, at, end);
      this.#filled += end - at;
      at = end;
      if (this.#filled === WRITE_BYTES) await this.#flush();
    }
  }

  /**
   * Hand the gathered bytes to the stream. The stream keeps the buffer until
   * it has written (or compressed) them, then it is a spare; the next bytes go
   * into another one.
   */
  async #flush(): Promise<void> {
    const buffer = this.#pending;
    if (this.#filled === 0 || !buffer) return;
    const gathered = buffer.subarray(0, this.#filled);
    this.#pending = undefined;
    this.#filled = 0;
    await this.#push(gathered, () => {
      if (this.#spare.length < SPARE_BUFFERS) this.#spare.push(buffer);
    });
  }

  async #push(data: string | Uint8Array, written?: () => void): Promise<void> {
    if (!this.#head.write(data, written && ((error) => error || written()))) await this.#drained();
    if (this.#failure) throw this.#failure;
    this.#syncEarly();
  }

  /**
   * Start an fdatasync of what is written so far, at most one at a time (not
   * awaited here). Its error fails the file: once reported, the kernel would
   * not report it again to the final fsync.
   */
  #syncEarly(): void {
    const fd = this.#fd;
    const written = this.#file.bytesWritten;
    if (fd === undefined || this.#syncing || written - this.#syncedTo < SYNC_BYTES) return;
    this.#syncedTo = written;
    this.#syncing = new Promise((resolve) => {
      fdatasync(fd, (error) => {
        if (error) this.#failure ??= error;
        this.#syncing = undefined;
        resolve();
      });
    });
  }

  /**
   * Resolves on 'drain', or on 'close' of the gzip stream or the file (a failed
   * stream closes without draining); every listener is removed again, so waiting
   * once per batch does not pile listeners up.
   */
  #drained(): Promise<void> {
    const head = this.#head;
    const closers = [...new Set<Writable>([head, this.#file])];
    return new Promise((resolve) => {
      const done = (): void => {
        head.off('drain', done);
        for (const closer of closers) closer.off('close', done);
        resolve();
      };
      head.on('drain', done);
      for (const closer of closers) closer.on('close', done);
    });
  }

  async finish(): Promise<void> {
    if (this.#failure) throw this.#failure;
    await this.#flush();
    await this.#syncing;
    if (this.#failure) throw this.#failure;
    const closed = once(this.#file, 'close');
    this.#head.end();
    await closed;
    if (this.#failure) throw this.#failure;
    await fsyncFile(this.#path);
  }

  async discard(): Promise<void> {
    this.#pending = undefined;
    this.#filled = 0;
    await this.#syncing;
    this.#gzip?.destroy();
    this.#file.destroy();
    await rm(this.#path, { force: true });
  }
}
