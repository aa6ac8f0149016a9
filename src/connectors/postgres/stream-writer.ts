import type { Checkpoint } from '../../core/checkpoint.js';
import type { CommitResult, StreamWriter, WriteResult } from '../../core/connector.js';
import { CancelledError, ConfigError, DataError, FerryError } from '../../core/errors.js';
import type { Batch, LogicalKind, Row } from '../../core/schema.js';
import { openClient } from './client.js';
import { CopyIn } from './copy-in.js';
import { encodeRows } from './copy-text.js';
import { driverError } from './driver-error.js';
import { publish } from './publish.js';
import { copyInSql, dropTableSql } from './publish-sql.js';
import type { WriterSetup } from './writer-setup.js';

type WriterState = 'open' | 'committed' | 'aborted';

/**
 * Staging types whose text input reads a `pg-csv` cell (checked by the source
 * against the kind's inference rule) as the decoded path's value, by kind.
 */
const PG_CSV_TYPES: Readonly<Partial<Record<LogicalKind, string>>> = {
  string: 'text',
  int64: 'bigint',
  decimal: 'numeric',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamp',
  timestamptz: 'timestamp with time zone',
};

function takesPgCsv(setup: WriterSetup): boolean {
  return setup.request.columns.every((c, i) => PG_CSV_TYPES[c.type.kind] === setup.types[i]);
}

/** The COPY input line a server error names in its context (`COPY t, line 5, column c: ...`). */
function copyLine(error: unknown): number | undefined {
  const where = (error as { where?: unknown } | null)?.where;
  const line = typeof where === 'string' ? /^COPY [^\n]*?, line (\d+)/.exec(where)?.[1] : undefined;
  return line === undefined ? undefined : Number(line);
}

/**
 * Stages rows with one `COPY staging FROM STDIN` kept open across `write`
 * calls (text format, encoded from canonical values), or pipes binary COPY
 * (`pg-binary`) or CSV (`pg-csv`) bytes through `writeRaw`; `commit` publishes,
 * `abort` drops the staging.
 */
export class PostgresStreamWriter implements StreamWriter {
  /**
   * Present for `pg-binary` when staging is type-identical to the source (every
   * column a built-in type), and for `pg-csv` when every staging type reads the
   * source's checked text as the decoded value would be (PG_CSV_TYPES).
   */
  readonly writeRaw?: (chunks: AsyncIterable<Uint8Array>, signal: AbortSignal) => Promise<WriteResult>;
  readonly #setup: WriterSetup;
  readonly #names: readonly string[];
  readonly #onClose: (writer: PostgresStreamWriter, broken: boolean) => void;
  #copy: CopyIn | undefined;
  /** Rows staged so far, each confirmed by the server's COPY row count once its COPY ended. */
  #staged = 0;
  /** Rows sent in the text COPY now open. */
  #copySent = 0;
  #state: WriterState = 'open';
  #aborting: Promise<void> | undefined;

  constructor(setup: WriterSetup, onClose: (writer: PostgresStreamWriter, broken: boolean) => void) {
    this.#setup = setup;
    this.#names = setup.request.columns.map((c) => c.name);
    this.#onClose = onClose;
    const format = setup.request.rawFormat;
    if ((format === 'pg-binary' && setup.native) || (format === 'pg-csv' && takesPgCsv(setup))) this.writeRaw = (chunks, signal) => this.#writeRaw(format, chunks, signal);
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
    this.#copySent += rows.length;
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

  async #writeRaw(format: 'pg-binary' | 'pg-csv', chunks: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<WriteResult> {
    this.#assertOpen();
    await this.#finishCopy();
    const { stream } = this.#setup.request;
    const copy = new CopyIn(this.#setup.client, copyInSql(this.#setup.staging, this.#names, format === 'pg-binary' ? 'binary' : 'csv'));
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
      const line = format === 'pg-csv' ? copyLine(error) : undefined;
      throw driverError(error, `stage ${format === 'pg-binary' ? 'binary' : 'CSV'} COPY for ${this.#label()}`, { stream, ...(line !== undefined ? { rawPosition: line } : {}) });
    }
  }

  /** End a text COPY in progress; the row count the server reports must match what was sent. */
  async #finishCopy(): Promise<void> {
    const copy = this.#copy;
    if (!copy) return;
    this.#copy = undefined;
    const sent = this.#copySent;
    this.#copySent = 0;
    let stored: number;
    try {
      stored = await copy.finish();
    } catch (error) {
      throw driverError(error, `stage rows for ${this.#label()}`, { stream: this.#setup.request.stream });
    }
    if (stored !== sent) {
      throw new DataError(`staging table for ${this.#label()} took ${stored} rows but ${sent} were sent; nothing was published`, { stream: this.#setup.request.stream });
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
    // The session ends without the run waiting for the server (and its staging lock with it).
    this.#onClose(this, broken);
  }

  #assertOpen(): void {
    if (this.#state !== 'open') throw new FerryError(`the writer for ${this.#label()} is already ${this.#state}`, { stream: this.#setup.request.stream });
  }

  #label(): string {
    return `${this.#setup.target.schema}.${this.#setup.target.name}`;
  }
}
