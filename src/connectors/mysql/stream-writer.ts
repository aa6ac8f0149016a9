import type { Checkpoint } from '../../core/checkpoint.js';
import type { CommitResult, StreamWriter, WriteResult } from '../../core/connector.js';
import { ConfigError, FerryError } from '../../core/errors.js';
import type { Batch, Row } from '../../core/schema.js';
import { closeConnection, openConnection } from './client.js';
import { driverError } from './driver-error.js';
import { publish } from './publish.js';
import { dropTableSql } from './publish-sql.js';
import type { Stager } from './stager.js';
import { openStager, type WriterSetup } from './writer-setup.js';
import { wireValue, type WireValue } from './write-value.js';

type WriterState = 'open' | 'committed' | 'aborted';

/**
 * Stages rows with one LOAD DATA LOCAL statement kept open across `write`
 * calls (or multi-row INSERTs where the server forbids it); `commit` publishes,
 * `abort` drops the staging table.
 */
export class MysqlStreamWriter implements StreamWriter {
  readonly #setup: WriterSetup;
  readonly #names: readonly string[];
  readonly #onClose: (writer: MysqlStreamWriter) => void;
  #stager: Stager | undefined;
  #staged = 0;
  #state: WriterState = 'open';
  #aborting: Promise<void> | undefined;

  constructor(setup: WriterSetup, onClose: (writer: MysqlStreamWriter) => void) {
    this.#setup = setup;
    this.#names = setup.request.columns.map((c) => c.name);
    this.#onClose = onClose;
  }

  async write(batch: Batch): Promise<WriteResult> {
    this.#assertOpen();
    if (batch.rows.length === 0) return { rows: 0 };
    const rows = this.#wireRows(this.#project(batch));
    this.#stager ??= openStager(this.#setup);
    try {
      await this.#stager.write(rows);
    } catch (error) {
      throw driverError(error, `stage rows for ${this.#label()}`, { stream: this.#setup.request.stream });
    }
    this.#staged += rows.length;
    return { rows: rows.length };
  }

  async commit(checkpoint: Checkpoint | undefined): Promise<CommitResult> {
    this.#assertOpen();
    const stager = this.#stager;
    this.#stager = undefined;
    try {
      if (stager) await stager.finish();
    } catch (error) {
      throw driverError(error, `stage rows for ${this.#label()}`, { stream: this.#setup.request.stream });
    }
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
    const { connection, staging, config, ctx } = this.#setup;
    const usable = this.#stager ? await this.#stager.cancel() : true;
    this.#stager = undefined;
    const drop = dropTableSql(staging);
    const dropped = usable && (await connection.query(drop).then(() => true, () => false));
    await this.#release(!dropped);
    if (dropped) return;
    // The writer's connection is gone or stuck: drop the staging table on a fresh one.
    try {
      const fresh = await openConnection(config, ctx);
      await fresh.query(drop).finally(() => closeConnection(fresh));
    } catch (error) {
      ctx.logger.warn({ table: `${staging.schema}.${staging.name}`, err: (error as Error).message }, 'could not drop staging table; the next writer in this database drops it');
    }
  }

  /** Values as the server parses them; a value MySQL cannot hold fails the batch naming its column. */
  #wireRows(rows: readonly Row[]): WireValue[][] {
    const { texts, request } = this.#setup;
    const where = { stream: request.stream, table: this.#label() };
    return rows.map((row) => row.map((value, i) => wireValue(texts[i] ?? String, value, request.columns[i] ?? { name: '?', type: { kind: 'string' }, nullable: true }, where)));
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
    if (broken) this.#setup.connection.destroy();
    else await closeConnection(this.#setup.connection);
  }

  #assertOpen(): void {
    if (this.#state !== 'open') throw new FerryError(`the writer for ${this.#label()} is already ${this.#state}`, { stream: this.#setup.request.stream });
  }

  #label(): string {
    return `${this.#setup.target.schema}.${this.#setup.target.name}`;
  }
}
