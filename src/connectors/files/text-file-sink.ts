import { createWriteStream, type WriteStream } from 'node:fs';
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

/** A text file (optionally gzip-compressed) written with backpressure. */
export class TextFileSink {
  readonly #path: string;
  readonly #file: WriteStream;
  readonly #gzip: Gzip | undefined;
  #failure: Error | undefined;

  constructor(path: string, gzip: boolean) {
    this.#path = path;
    this.#file = createWriteStream(path, { flags: 'wx' });
    this.#gzip = gzip ? createGzip() : undefined;
    this.#gzip?.pipe(this.#file);
    const fail = (error: Error): void => {
      this.#failure ??= error;
    };
    this.#file.on('error', fail);
    this.#gzip?.on('error', fail);
  }

  get #head(): Writable {
    return this.#gzip ?? this.#file;
  }

  /** Text is written as UTF-8; bytes as they are. */
  async write(data: string | Uint8Array): Promise<void> {
    if (this.#failure) throw this.#failure;
    if (!this.#head.write(data)) await this.#drained();
    if (this.#failure) throw this.#failure;
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
    const closed = once(this.#file, 'close');
    this.#head.end();
    await closed;
    if (this.#failure) throw this.#failure;
    await fsyncFile(this.#path);
  }

  async discard(): Promise<void> {
    this.#gzip?.destroy();
    this.#file.destroy();
    await rm(this.#path, { force: true });
  }
}
