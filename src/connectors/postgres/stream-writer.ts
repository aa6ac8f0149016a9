import type { Checkpoint } from '../../core/checkpoint.js';
import type { CommitResult, StreamWriter, WriteResult } from '../../core/connector.js';
import { CancelledError, ConfigError, FerryError } from '../../core/errors.js';
import type { Batch, Row } from '../../core/schema.js';
import { destroyClient, openClient } from './client.js';
import { CopyIn } from './copy-in.js';
import { encodeRows } from './copy-text.js';
import { driverError } from './driver-error.js';
import { publish } from './publish.js';
import { copyInSql, dropTableSql } from './publish-sql.js';
import type { WriterSetup } from './writer-setup.js';

type WriterState = 'open' | 'committed' | 'aborted';

/**
 * Stages rows with one `COPY staging FROM STDIN` kept open across `write`
 * calls (text format, encoded from canonical values), or pipes binary COPY
 * bytes through `writeRaw`; `commit` publishes, `abort` drops the staging.
 */
export class PostgresStreamWriter implements StreamWriter {
  /** Present only when staging is type-identical to the source (every column a built-in type). */
  readonly writeRaw?: (chunks: AsyncIterable<Uint8Array>, signal: AbortSignal) => Promise<WriteResult>;
  readonly #setup: WriterSetup;
  readonly #names: readonly string[];
  readonly #onClose: (writer: PostgresStreamWriter) => void;
  #copy: CopyIn | undefined;
  #staged = 0;
  #state: WriterState = 'open';
  #aborting: Promise<void> | undefined;

  constructor(setup: WriterSetup, onClose: (writer: PostgresStreamWriter) => void) {
    this.#setup = setup;
    this.#names = setup.request.columns.map((c) => c.name);
    this.#onClose = onClose;
    if (setup.request.rawFormat === 'pg-binary' && setup.native) this.writeRaw = (chunks, signal) => this.#writeRaw(chunks, signal);
  }

  async write(batch: Batch): Promise<WriteResult> {
    this.#assertOpen();
    if (batch.rows.length === 0) return { rows: 0 };
    const rows = this.#project(batch);
    const text = encodeRows(rows, { stream: this.#setup.request.stream, columns: this.#setup.request.columns });
    this.#copy ??= new CopyIn(this.#setup.client, copyInSql(this.#setup.staging, this.#names, 'text'));
    try {
      await this.#copy.write(Buffer.from(text));
    } catch (error) {
      throw driverError(error, `stage rows for ${this.#label()}`, { stream: this.#setup.request.stream });
    }
    this.#staged += rows.length;
    return { rows: rows.length };
  }

  async commit(checkpoint: Checkpoint | undefined): Promise<CommitResult> {
    this.#assertOpen();
    await this.#finishCopy();
    const result = await publish(this.#setup, this.#staged, checkpoint);
    this.#state = 'committed';
    await this.#release(false);
    return result;
  }

  abort(): Promise<void> {
    this.#aborting ??= this.#abort();
    return this.#aborting;
  }

  async #abort(): Promise<void> {
    if (this.#state === 'committed') return;
    this.#state = 'aborted';
    const { client, staging, config, ctx } = this.#setup;
    const usable = this.#copy ? await this.#copy.cancel() : true;
    this.#copy = undefined;
    const drop = dropTableSql(staging);
    const dropped = usable && (await client.query(drop).then(() => true, () => false));
    await this.#release(!dropped);
    if (dropped) return;
    // The writer's connection is gone or stuck: drop the staging table on a fresh one.
    try {
      const fresh = await openClient(config, ctx);
      await fresh.query(drop).finally(() => fresh.end());
    } catch (error) {
      ctx.logger.warn({ table: `${staging.schema}.${staging.name}`, err: (error as Error).message }, 'could not drop staging table; the next writer in this schema drops it');
    }
  }

  async #writeRaw(chunks: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<WriteResult> {
    this.#assertOpen();
    await this.#finishCopy();
    const { stream } = this.#setup.request;
    const copy = new CopyIn(this.#setup.client, copyInSql(this.#setup.staging, this.#names, 'binary'));
    this.#copy = copy;
    try {
      for await (const chunk of chunks) {
        if (signal.aborted) throw new CancelledError('write cancelled', { stream });
        await copy.write(chunk);
      }
      const rows = await copy.finish();
      this.#copy = undefined;
      this.#staged += rows;
      return { rows };
    } catch (error) {
      if (error instanceof FerryError) throw error;
      throw driverError(error, `stage binary COPY for ${this.#label()}`, { stream });
    }
  }

  /** End a text COPY in progress; its row count must match what was sent. */
  async #finishCopy(): Promise<void> {
    const copy = this.#copy;
    if (!copy) return;
    this.#copy = undefined;
    try {
      await copy.finish();
    } catch (error) {
      throw driverError(error, `stage rows for ${this.#label()}`, { stream: this.#setup.request.stream });
    }
  }

  /** Rows in the writer's column order (batches normally already are). */
  #project(batch: Batch): readonly Row[] {
    const names = this.#names;
    if (batch.columns.length === names.length && batch.columns.every((c, i) => c.name === names[i])) return batch.rows;
    const index = names.map((name) => batch.columns.findIndex((c) => c.name === name));
    const absent = names.filter((_, i) => index[i] === -1);
    if (absent.length > 0) {
      throw new ConfigError(`a batch for ${this.#label()} lacks column(s) ${absent.join(', ')}`, { stream: this.#setup.request.stream });
    }
    return batch.rows.map((row) => index.map((i) => row[i] ?? null));
  }

  async #release(broken: boolean): Promise<void> {
    this.#onClose(this);
    if (broken) destroyClient(this.#setup.client);
    // Not awaited: the server closing the session (and its staging lock) is nothing the run waits for.
    else void this.#setup.client.end().catch(() => undefined);
  }

  #assertOpen(): void {
    if (this.#state !== 'open') throw new FerryError(`the writer for ${this.#label()} is already ${this.#state}`, { stream: this.#setup.request.stream });
  }

  #label(): string {
    return `${this.#setup.target.schema}.${this.#setup.target.name}`;
  }
}
