import type { Checkpoint } from '../../core/checkpoint.js';
import type { CommitResult, WriteResult } from '../../core/connector.js';
import { CancelledError, DataError, FerryError } from '../../core/errors.js';
import type { LogicalKind, Row } from '../../core/schema.js';
import { StagedWriter } from '../staged-writer.js';
import { openClient } from './client.js';
import { CopyIn } from './copy-in.js';
import { encodeRows } from './copy-text.js';
import { driverError } from './driver-error.js';
import { publish } from './publish.js';
import { copyInSql, dropTableSql } from './publish-sql.js';
import type { WriterSetup } from './writer-setup.js';

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
export class PostgresStreamWriter extends StagedWriter {
  /**
   * Present for `pg-binary` when staging is type-identical to the source (every
   * column a built-in type), and for `pg-csv` when every staging type reads the
   * source's checked text as the decoded value would be (PG_CSV_TYPES).
   */
  readonly writeRaw?: (chunks: AsyncIterable<Uint8Array>, signal: AbortSignal) => Promise<WriteResult>;
  readonly #setup: WriterSetup;
  readonly #onClose: (writer: PostgresStreamWriter, broken: boolean) => void;
  #copy: CopyIn | undefined;
  /** Rows sent in the text COPY now open. */
  #copySent = 0;

  constructor(setup: WriterSetup, onClose: (writer: PostgresStreamWriter, broken: boolean) => void) {
    super({ request: setup.request, target: setup.target, staging: setup.staging, logger: setup.ctx.logger, namespace: 'schema' });
    this.#setup = setup;
    this.#onClose = onClose;
    const format = setup.request.rawFormat;
    if (((format === 'pg-binary' || format === 'pg-copy-data') && setup.native) || (format === 'pg-csv' && takesPgCsv(setup))) this.writeRaw = (chunks, signal) => this.#writeRaw(format, chunks, signal);
  }

  protected async stage(rows: readonly Row[]): Promise<void> {
    const text = encodeRows(rows, { stream: this.request.stream, columns: this.request.columns });
    this.#copy ??= new CopyIn(this.#setup.client, copyInSql(this.#setup.staging, this.names, 'text'));
    try {
      await this.#copy.write(Buffer.from(text));
    } catch (error) {
      throw driverError(error, `stage rows for ${this.label}`, { stream: this.request.stream });
    }
    this.#copySent += rows.length;
  }

  /**
   * End a text COPY in progress; the row count the server reports must match
   * what was sent (this check is what vouches for the staged count at publish).
   */
  protected async finishStaging(): Promise<void> {
    const copy = this.#copy;
    if (!copy) return;
    this.#copy = undefined;
    const sent = this.#copySent;
    this.#copySent = 0;
    let stored: number;
    try {
      stored = await copy.finish();
    } catch (error) {
      throw driverError(error, `stage rows for ${this.label}`, { stream: this.request.stream });
    }
    if (stored !== sent) {
      throw new DataError(`staging table for ${this.label} took ${stored} rows but ${sent} were sent; nothing was published`, { stream: this.request.stream });
    }
  }

  protected async cancelStaging(): Promise<boolean> {
    const usable = this.#copy ? await this.#copy.cancel() : true;
    this.#copy = undefined;
    this.#copySent = 0;
    return usable;
  }

  protected publish(staged: number, checkpoint: Checkpoint | undefined): Promise<CommitResult> {
    return publish(this.#setup, staged, checkpoint);
  }

  protected async dropStaging(on: 'own' | 'fresh'): Promise<void> {
    const { client, staging, config, ctx } = this.#setup;
    const drop = dropTableSql(staging);
    if (on === 'own') {
      await client.query(drop);
      return;
    }
    const fresh = await openClient(config, ctx);
    await fresh.query(drop).finally(() => fresh.end());
  }

  protected release(broken: boolean): Promise<void> {
    // The destination ends the session without the run waiting for the server (and its staging lock with it).
    this.#onClose(this, broken);
    return Promise.resolve();
  }

  async #writeRaw(format: 'pg-binary' | 'pg-copy-data' | 'pg-csv', chunks: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<WriteResult> {
    this.assertOpen();
    await this.finishStaging();
    const { stream } = this.request;
    const copy = new CopyIn(this.#setup.client, copyInSql(this.#setup.staging, this.names, format === 'pg-csv' ? 'csv' : 'binary'), { framed: format === 'pg-copy-data' });
    this.#copy = copy;
    try {
      for await (const chunk of chunks) {
        if (signal.aborted) throw new CancelledError('write cancelled', { stream });
        await copy.write(chunk);
      }
      const rows = await copy.finish();
      this.#copy = undefined;
      this.addStaged(rows);
      return { rows };
    } catch (error) {
      if (error instanceof FerryError) throw error;
      const line = format === 'pg-csv' ? copyLine(error) : undefined;
      throw driverError(error, `stage ${format === 'pg-csv' ? 'CSV' : 'binary'} COPY for ${this.label}`, { stream, ...(line !== undefined ? { rawPosition: line } : {}) });
    }
  }
}
