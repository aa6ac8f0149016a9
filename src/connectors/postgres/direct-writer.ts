import type pg from 'pg';
import type { Checkpoint } from '../../core/checkpoint.js';
import type { CommitResult, ConnectorContext, OpenRequest, StreamWriter, WriteResult } from '../../core/connector.js';
import { CancelledError, ConfigError, FerryError } from '../../core/errors.js';
import type { Batch } from '../../core/schema.js';
import { checkpointParams, upsertCheckpointSql } from './checkpoint-table.js';
import type { PostgresConfig } from './config.js';
import { CopyIn } from './copy-in.js';
import { encodeRows } from './copy-text.js';
import { driverError } from './driver-error.js';
import { copyInSql } from './publish-sql.js';
import { builtinTypeNames, findTarget } from './target-catalog.js';
import { isNativeColumn } from './type-map.js';
import type { QualifiedTable } from './writer-setup.js';

/**
 * `OpenRequest.direct`: COPY straight into an existing table inside one
 * transaction that `commit` closes together with the checkpoint. No staging
 * copy: meant for tables no one else reads, such as the landing table of a
 * chunked `replace`, where every chunk commits on its own.
 */
export class PostgresDirectWriter implements StreamWriter {
  readonly writeRaw?: (chunks: AsyncIterable<Uint8Array>, signal: AbortSignal) => Promise<WriteResult>;
  readonly #client: pg.Client;
  readonly #request: OpenRequest;
  readonly #target: QualifiedTable;
  readonly #config: PostgresConfig;
  readonly #onClose: (writer: PostgresDirectWriter, broken: boolean) => void;
  #copy: CopyIn | undefined;
  #rows = 0;
  #closed = false;

  private constructor(client: pg.Client, request: OpenRequest, target: QualifiedTable, config: PostgresConfig, native: boolean, onClose: (writer: PostgresDirectWriter, broken: boolean) => void) {
    this.#client = client;
    this.#request = request;
    this.#target = target;
    this.#config = config;
    this.#onClose = onClose;
    const binary = request.rawFormat === 'pg-binary' || request.rawFormat === 'pg-copy-data';
    if (binary && native) this.writeRaw = (chunks, signal) => this.#writeRaw(chunks, signal);
  }

  /** Check the table is there with every column, then open the transaction. */
  static async open(client: pg.Client, request: OpenRequest, config: PostgresConfig, _ctx: ConnectorContext, onClose: (writer: PostgresDirectWriter, broken: boolean) => void): Promise<PostgresDirectWriter> {
    const target: QualifiedTable = { schema: request.target.schema ?? config.schema, name: request.target.name };
    const existing = await findTarget(client, target);
    const have = new Set(existing?.columns.map((c) => c.name) ?? []);
    const missing = request.columns.filter((c) => !have.has(c.name)).map((c) => c.name);
    if (!existing || missing.length > 0) {
      throw new ConfigError(`direct load into ${target.schema}.${target.name}: ${existing ? `column(s) ${missing.join(', ')} missing` : 'the table does not exist'}`, { stream: request.stream });
    }
    const builtin = await builtinTypeNames(client, request.columns.flatMap((c) => (c.sourceType !== undefined && c.sourceEngine === 'postgres' ? [c.sourceType] : [])));
    const native = request.columns.every((c) => isNativeColumn(c, builtin));
    await client.query('BEGIN');
    return new PostgresDirectWriter(client, request, target, config, native, onClose);
  }

  async write(batch: Batch): Promise<WriteResult> {
    this.#assertOpen();
    if (batch.rows.length === 0) return { rows: 0 };
    if (batch.columns.some((c, i) => c.name !== this.#request.columns[i]?.name)) {
      throw new FerryError(`a batch for ${this.#label()} has its columns in another order than the writer`, { stream: this.#request.stream });
    }
    const text = encodeRows(batch.rows, { stream: this.#request.stream, columns: this.#request.columns });
    this.#copy ??= new CopyIn(this.#client, copyInSql(this.#target, this.#request.columns.map((c) => c.name), 'text'));
    try {
      await this.#copy.write(Buffer.from(text));
    } catch (error) {
      throw driverError(error, `load rows into ${this.#label()}`, { stream: this.#request.stream });
    }
    return { rows: batch.rows.length };
  }

  async commit(checkpoint: Checkpoint | undefined): Promise<CommitResult> {
    this.#assertOpen();
    const sql: string[] = [];
    try {
      await this.#finishCopy();
      if (checkpoint) {
        sql.push(upsertCheckpointSql(this.#config.schema));
        await this.#client.query(upsertCheckpointSql(this.#config.schema), checkpointParams(checkpoint));
      }
      await this.#client.query('COMMIT');
      sql.push('COMMIT');
    } catch (error) {
      await this.abort();
      throw driverError(error, `commit the load into ${this.#label()}`, { stream: this.#request.stream });
    }
    this.#release(false);
    return { rows: this.#rows, sql };
  }

  async abort(): Promise<void> {
    if (this.#closed) return;
    const usable = this.#copy ? await this.#copy.cancel() : true;
    this.#copy = undefined;
    const rolledBack = usable && (await this.#client.query('ROLLBACK').then(() => true, () => false));
    this.#release(!rolledBack);
  }

  async #writeRaw(chunks: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<WriteResult> {
    this.#assertOpen();
    await this.#finishCopy();
    const copy = new CopyIn(this.#client, copyInSql(this.#target, this.#request.columns.map((c) => c.name), 'binary'), { framed: this.#request.rawFormat === 'pg-copy-data' });
    this.#copy = copy;
    try {
      for await (const chunk of chunks) {
        if (signal.aborted) throw new CancelledError('write cancelled', { stream: this.#request.stream });
        await copy.write(chunk);
      }
      const rows = await copy.finish();
      this.#copy = undefined;
      this.#rows += rows;
      return { rows };
    } catch (error) {
      if (error instanceof FerryError) throw error;
      throw driverError(error, `load binary COPY into ${this.#label()}`, { stream: this.#request.stream });
    }
  }

  async #finishCopy(): Promise<void> {
    const copy = this.#copy;
    if (!copy) return;
    this.#copy = undefined;
    this.#rows += await copy.finish();
  }

  #release(broken: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose(this, broken);
  }

  #assertOpen(): void {
    if (this.#closed) throw new FerryError(`the direct writer for ${this.#label()} is closed`, { stream: this.#request.stream });
  }

  #label(): string {
    return `${this.#target.schema}.${this.#target.name}`;
  }
}
