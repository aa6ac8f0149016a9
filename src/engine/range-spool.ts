import { randomUUID } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Batch } from '../core/schema.js';

/**
 * What one range of an ordered parallel read holds between its reader and the
 * one writer (see ordered-parallel-read.ts). The reader `push`es what it reads
 * and `end`s or `fail`s; the writer `drain`s the range when its turn comes.
 */
export interface RangeSpool<T> {
  push(item: T): Promise<void>;
  end(): Promise<void>;
  /** The read failed: `drain` throws `error` (a reader waiting in `push` is released). */
  fail(error: unknown): void;
  /** Everything pushed, in order; the writer calls it once, when the range's turn comes. */
  drain(): AsyncIterable<T>;
  /** Drop what is held and remove the spill file, if any. Idempotent. */
  close(): Promise<void>;
}

/**
 * A wakeup call between a reader and a writer: `wait` resolves on the next
 * `wake`, or at once when a `wake` came while nobody waited (so a wakeup between
 * a check and the wait is never lost). Callers recheck their condition after.
 */
class Wakeup {
  #resolve: (() => void) | undefined;
  #promise: Promise<void> | undefined;
  #pending = false;

  wait(): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    this.#promise ??= new Promise((resolve) => {
      this.#resolve = resolve;
    });
    return this.#promise;
  }

  wake(): void {
    const resolve = this.#resolve;
    if (!resolve) {
      this.#pending = true;
      return;
    }
    this.#resolve = undefined;
    this.#promise = undefined;
    resolve();
  }
}

/** Bytes gathered (as the reader's chunks, written with one writev) before they go to the spill file. */
const SPILL_WRITE_BYTES = 1 << 20;

/**
 * Bytes read back from the spill file at a time: larger than the file sink's
 * gathering buffer, so most of them go to the output without another copy.
 */
const SPILL_READ_BYTES = 4 << 20;

/**
 * A hidden spill file in `folder` (default: the system's temp folder). It is
 * unlinked as soon as it is open, so nothing is left behind whatever happens to
 * the process; where the platform refuses that (Windows), `close` removes it.
 */
async function openSpillFile(folder: string | undefined): Promise<{ handle: FileHandle; path: string | undefined }> {
  const path = join(folder ?? tmpdir(), `.ferry-range-${randomUUID()}.spool`);
  const handle = await open(path, 'wx+', 0o600);
  const unlinked = await rm(path).then(() => true, () => false);
  return { handle, path: unlinked ? undefined : path };
}

/**
 * Raw bytes of one range. Up to `cap` bytes wait in memory; beyond that, a
 * range whose turn has not come spills to a temp file (its reader keeps the
 * server busy instead of waiting), while the range being written holds its
 * reader back (backpressure) once `cap` is queued. A range that spilled is
 * written from the file until the writer catches up, then from memory again.
 */
export class ByteSpool implements RangeSpool<Uint8Array> {
  readonly #cap: number;
  readonly #folder: string | undefined;
  readonly #memory: Uint8Array[] = [];
  #memoryBytes = 0;
  #attached = false;
  #spilling = false;
  #file: { handle: FileHandle; path: string | undefined } | undefined;
  /** Chunks waiting to be written to the file, in order after `#fileWritten`, and their bytes. */
  #gather: Uint8Array[] = [];
  #gathered = 0;
  #writing = false;
  #fileWritten = 0;
  #fileRead = 0;
  #done = false;
  #failure: { error: unknown } | undefined;
  #closed = false;
  /** Bytes that went to the spill file, for the log. */
  spilled = 0;
  readonly #toWriter = new Wakeup();
  readonly #toReader = new Wakeup();

  /** `folder`: where the spill file goes (default: the system's temp folder). */
  constructor(cap: number, folder?: string) {
    this.#cap = cap;
    this.#folder = folder;
  }

  async push(chunk: Uint8Array): Promise<void> {
    if (!this.#spilling) {
      while (this.#attached && this.#memoryBytes > 0 && this.#memoryBytes + chunk.length > this.#cap && !this.#failure && !this.#closed) await this.#toReader.wait();
      if (this.#failure || this.#closed) return;
      if (this.#attached || this.#memoryBytes + chunk.length <= this.#cap) {
        this.#memory.push(chunk);
        this.#memoryBytes += chunk.length;
        this.#toWriter.wake();
        return;
      }
      this.#spilling = true;
    }
    await this.#spill(chunk);
  }

  async #spill(chunk: Uint8Array): Promise<void> {
    if (this.#closed || this.#failure) return;
    this.#gather.push(chunk);
    this.#gathered += chunk.length;
    if (this.#gathered >= SPILL_WRITE_BYTES) await this.#writeGathered();
  }

  async #writeGathered(): Promise<void> {
    if (this.#gathered === 0 || this.#closed) return;
    // Set before the first await: the writer must not take the gathered bytes while they are being written.
    this.#writing = true;
    try {
      const file = (this.#file ??= await openSpillFile(this.#folder));
      if (this.#closed) {
        // Closed while the file was being opened: close() did not see it.
        await file.handle.close().catch(() => undefined);
        if (file.path !== undefined) await rm(file.path, { force: true }).catch(() => undefined);
        return;
      }
      const gathered = this.#gathered;
      let buffers = this.#gather;
      let written = 0;
      while (written < gathered) {
        const { bytesWritten } = await file.handle.writev(buffers, this.#fileWritten + written);
        written += bytesWritten;
        // A short write (rare): the rest again, from where it stopped.
        if (written < gathered) buffers = [Buffer.concat(buffers).subarray(bytesWritten)];
      }
      this.#fileWritten += written;
      this.spilled += written;
      this.#gather = [];
      this.#gathered = 0;
    } finally {
      this.#writing = false;
      this.#toWriter.wake();
    }
  }

  async end(): Promise<void> {
    if (this.#spilling) await this.#writeGathered();
    this.#done = true;
    this.#toWriter.wake();
  }

  fail(error: unknown): void {
    this.#failure ??= { error };
    this.#toWriter.wake();
    this.#toReader.wake();
  }

  async *drain(): AsyncGenerator<Uint8Array> {
    this.#attached = true;
    this.#toReader.wake();
    for (;;) {
      if (this.#failure) throw this.#failure.error;
      const next = await this.#next();
      if (next === 'done') return;
      if (next !== 'wait') {
        yield next;
        continue;
      }
      await this.#toWriter.wait();
    }
  }

  /** The next bytes in order, 'wait' when they are not there yet, 'done' at the end. */
  async #next(): Promise<Uint8Array | 'wait' | 'done'> {
    const chunk = this.#memory.shift();
    if (chunk) {
      this.#memoryBytes -= chunk.length;
      this.#toReader.wake();
      return chunk;
    }
    if (this.#fileRead < this.#fileWritten && this.#file) {
      const buffer = Buffer.allocUnsafe(Math.min(SPILL_READ_BYTES, this.#fileWritten - this.#fileRead));
      const { bytesRead } = await this.#file.handle.read(buffer, 0, buffer.length, this.#fileRead);
      this.#fileRead += bytesRead;
      return buffer.subarray(0, bytesRead);
    }
    if (this.#spilling && !this.#writing) {
      // Caught up with the file (memory is empty: it comes first): what is gathered comes next, then memory again.
      this.#memory.push(...this.#gather);
      this.#memoryBytes += this.#gathered;
      this.#gather = [];
      this.#gathered = 0;
      this.#spilling = false;
      this.#toReader.wake();
      return this.#next();
    }
    return this.#done && !this.#spilling && this.#memory.length === 0 ? 'done' : 'wait';
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#memory.length = 0;
    this.#memoryBytes = 0;
    this.#gather = [];
    this.#gathered = 0;
    this.#toReader.wake();
    this.#toWriter.wake();
    const file = this.#file;
    this.#file = undefined;
    if (!file) return;
    await file.handle.close().catch(() => undefined);
    if (file.path !== undefined) await rm(file.path, { force: true }).catch(() => undefined);
  }
}

/**
 * Decoded batches of one range: up to `cap` bytes of them (as the source
 * counted them; at least one batch) wait in memory, then the reader waits.
 * Batches are not spilled: their values would need encoding to go to disk.
 */
export class BatchQueue implements RangeSpool<Batch> {
  readonly #cap: number;
  readonly #batches: Batch[] = [];
  #bytes = 0;
  #done = false;
  #failure: { error: unknown } | undefined;
  #closed = false;
  readonly #toWriter = new Wakeup();
  readonly #toReader = new Wakeup();

  constructor(cap: number) {
    this.#cap = cap;
  }

  async push(batch: Batch): Promise<void> {
    while (this.#batches.length > 0 && this.#bytes + batchBytes(batch) > this.#cap && !this.#failure && !this.#closed) await this.#toReader.wait();
    if (this.#failure || this.#closed) return;
    this.#batches.push(batch);
    this.#bytes += batchBytes(batch);
    this.#toWriter.wake();
  }

  async end(): Promise<void> {
    this.#done = true;
    this.#toWriter.wake();
  }

  fail(error: unknown): void {
    this.#failure ??= { error };
    this.#toWriter.wake();
    this.#toReader.wake();
  }

  async *drain(): AsyncGenerator<Batch> {
    for (;;) {
      if (this.#failure) throw this.#failure.error;
      const batch = this.#batches.shift();
      if (batch) {
        this.#bytes -= batchBytes(batch);
        this.#toReader.wake();
        yield batch;
        continue;
      }
      if (this.#done) return;
      await this.#toWriter.wait();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#batches.length = 0;
    this.#bytes = 0;
    this.#toReader.wake();
    this.#toWriter.wake();
  }
}

/** A batch's size for the cap: the bytes its source read, else a guess of 100 bytes a row. */
function batchBytes(batch: Batch): number {
  return batch.bytes ?? batch.rows.length * 100;
}
