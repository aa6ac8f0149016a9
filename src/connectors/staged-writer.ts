import type { Checkpoint } from '../core/checkpoint.js';
import type { CommitResult, Logger, OpenRequest, StreamWriter, WriteResult } from '../core/connector.js';
import { ConfigError, FerryError } from '../core/errors.js';
import type { Batch, Row, TableRef } from '../core/schema.js';

type WriterState = 'open' | 'committed' | 'aborted';

/** What a staged writer is told at construction. */
export interface StagedWriterOptions {
  readonly request: OpenRequest;
  readonly target: TableRef & { readonly schema: string };
  readonly staging: TableRef & { readonly schema: string };
  readonly logger: Logger;
  /** Where an orphaned staging table is found again: `database` (MySQL) or `schema` (Postgres). */
  readonly namespace: string;
}

/**
 * The lifecycle of a writer that stages rows in a table on its own connection
 * and publishes them at `commit` (Postgres, MySQL): open until committed or
 * aborted; batches in the writer's column order; `abort` idempotent, cancelling
 * staging and dropping the staging table, on a fresh connection when the
 * writer's own is gone or stuck. Subclasses say how rows are staged, published
 * and dropped, and how the connection is released.
 */
export abstract class StagedWriter implements StreamWriter {
  protected readonly request: OpenRequest;
  /** Column names in the writer's (and staging table's) order. */
  protected readonly names: readonly string[];
  /** `schema.name` of the target, for messages. */
  protected readonly label: string;
  readonly #options: StagedWriterOptions;
  #staged = 0;
  #state: WriterState = 'open';
  #aborting: Promise<void> | undefined;

  constructor(options: StagedWriterOptions) {
    this.#options = options;
    this.request = options.request;
    this.names = options.request.columns.map((c) => c.name);
    this.label = `${options.target.schema}.${options.target.name}`;
  }

  /** Stage rows already in the writer's column order; the error names the target. */
  protected abstract stage(rows: readonly Row[]): Promise<void>;
  /** End staging in progress (commit needs every row in the staging table). */
  protected abstract finishStaging(): Promise<void>;
  /** Stop staging in progress; false when the connection is no longer usable. */
  protected abstract cancelStaging(): Promise<boolean>;
  /** Publish the staged rows (`staged` of them were sent) with the checkpoint. */
  protected abstract publish(staged: number, checkpoint: Checkpoint | undefined): Promise<CommitResult>;
  /** Drop the staging table on the writer's connection, or on a fresh one. */
  protected abstract dropStaging(on: 'own' | 'fresh'): Promise<void>;
  /** Hand back the writer's connection (destroyed when `broken`). */
  protected abstract release(broken: boolean): Promise<void>;

  async write(batch: Batch): Promise<WriteResult> {
    this.assertOpen();
    if (batch.rows.length === 0) return { rows: 0 };
    const rows = this.#project(batch);
    await this.stage(rows);
    this.#staged += rows.length;
    return { rows: rows.length };
  }

  async commit(checkpoint: Checkpoint | undefined): Promise<CommitResult> {
    this.assertOpen();
    await this.finishStaging();
    const result = await this.publish(this.#staged, checkpoint);
    this.#state = 'committed';
    await this.release(false);
    return result;
  }

  abort(): Promise<void> {
    this.#aborting ??= this.#abort();
    return this.#aborting;
  }

  /** Count rows staged other than through `write` (raw pass-through). */
  protected addStaged(rows: number): void {
    this.#staged += rows;
  }

  protected assertOpen(): void {
    if (this.#state !== 'open') throw new FerryError(`the writer for ${this.label} is already ${this.#state}`, { stream: this.request.stream });
  }

  async #abort(): Promise<void> {
    if (this.#state === 'committed') return;
    this.#state = 'aborted';
    const usable = await this.cancelStaging();
    const dropped = usable && (await this.dropStaging('own').then(() => true, () => false));
    await this.release(!dropped);
    if (dropped) return;
    try {
      await this.dropStaging('fresh');
    } catch (error) {
      const { staging, logger, namespace } = this.#options;
      logger.warn({ table: `${staging.schema}.${staging.name}`, err: (error as Error).message }, `could not drop staging table; the next writer in this ${namespace} drops it`);
    }
  }

  /** Rows in the writer's column order (batches normally already are). */
  #project(batch: Batch): readonly Row[] {
    const names = this.names;
    if (batch.columns.length === names.length && batch.columns.every((c, i) => c.name === names[i])) return batch.rows;
    const index = names.map((name) => batch.columns.findIndex((c) => c.name === name));
    const absent = names.filter((_, i) => index[i] === -1);
    if (absent.length > 0) {
      throw new ConfigError(`a batch for ${this.label} lacks column(s) ${absent.join(', ')}`, { stream: this.request.stream });
    }
    return batch.rows.map((row) => index.map((i) => row[i] ?? null));
  }
}
