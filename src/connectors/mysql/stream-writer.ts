import type { Checkpoint } from '../../core/checkpoint.js';
import type { CommitResult } from '../../core/connector.js';
import type { Row } from '../../core/schema.js';
import { StagedWriter } from '../staged-writer.js';
import { closeConnection, openConnection } from './client.js';
import { driverError } from './driver-error.js';
import { publish } from './publish.js';
import { dropTableSql } from './publish-sql.js';
import type { Stager } from './stager.js';
import { openStager, type WriterSetup } from './writer-setup.js';
import { wireValue, type WireValue } from './write-value.js';

/**
 * Stages rows with one LOAD DATA LOCAL statement kept open across `write`
 * calls (or multi-row INSERTs where the server forbids it); `commit` publishes,
 * `abort` drops the staging table.
 */
export class MysqlStreamWriter extends StagedWriter {
  readonly #setup: WriterSetup;
  readonly #onClose: (writer: MysqlStreamWriter) => void;
  #stager: Stager | undefined;

  constructor(setup: WriterSetup, onClose: (writer: MysqlStreamWriter) => void) {
    super({ request: setup.request, target: setup.target, staging: setup.staging, logger: setup.ctx.logger, namespace: 'database' });
    this.#setup = setup;
    this.#onClose = onClose;
  }

  protected async stage(rows: readonly Row[]): Promise<void> {
    const wire = this.#wireRows(rows);
    this.#stager ??= openStager(this.#setup);
    try {
      await this.#stager.write(wire);
    } catch (error) {
      throw driverError(error, `stage rows for ${this.label}`, { stream: this.request.stream });
    }
  }

  protected async finishStaging(): Promise<void> {
    const stager = this.#stager;
    this.#stager = undefined;
    try {
      if (stager) await stager.finish();
    } catch (error) {
      throw driverError(error, `stage rows for ${this.label}`, { stream: this.request.stream });
    }
  }

  protected async cancelStaging(): Promise<boolean> {
    const usable = this.#stager ? await this.#stager.cancel() : true;
    this.#stager = undefined;
    return usable;
  }

  protected publish(staged: number, checkpoint: Checkpoint | undefined): Promise<CommitResult> {
    return publish(this.#setup, staged, checkpoint);
  }

  protected async dropStaging(on: 'own' | 'fresh'): Promise<void> {
    const { connection, staging, config, ctx } = this.#setup;
    const drop = dropTableSql(staging);
    if (on === 'own') {
      await connection.query(drop);
      return;
    }
    const fresh = await openConnection(config, ctx);
    await fresh.query(drop).finally(() => closeConnection(fresh));
  }

  protected async release(broken: boolean): Promise<void> {
    this.#onClose(this);
    if (broken) this.#setup.connection.destroy();
    else await closeConnection(this.#setup.connection);
  }

  /** Values as the server parses them; a value MySQL cannot hold fails the batch naming its column. */
  #wireRows(rows: readonly Row[]): WireValue[][] {
    const { texts, request } = this.#setup;
    const where = { stream: request.stream, table: this.label };
    return rows.map((row) => row.map((value, i) => wireValue(texts[i] ?? String, value, request.columns[i] ?? { name: '?', type: { kind: 'string' }, nullable: true }, where)));
  }
}
