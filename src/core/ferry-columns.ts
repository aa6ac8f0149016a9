import type { MetadataColumn, MirrorOptions, OpenRequest, StreamWriter, WriteResult } from './connector.js';
import { ConfigError } from './errors.js';
import { canonicalTimestamptz } from './values.js';
import type { Batch, Column, Value } from './schema.js';

/** Soft-delete marker of `mirror` with `mirror_delete: soft` (CDC uses the same column). */
export const SOFT_DELETE_COLUMN = '_ferry_deleted_at';

/** Target column of each metadata column setting. */
export const METADATA_COLUMN_NAMES: Readonly<Record<MetadataColumn, string>> = Object.freeze({
  synced_at: '_ferry_synced_at',
  run_id: '_ferry_run_id',
});

/** Default mirror options: hard deletes of the whole table, empty loads refused. */
export const DEFAULT_MIRROR: MirrorOptions = Object.freeze({ delete: 'hard', allowEmpty: false });

const COLUMN_OF: Readonly<Record<MetadataColumn, Column>> = {
  synced_at: { name: METADATA_COLUMN_NAMES.synced_at, type: { kind: 'timestamptz' }, nullable: true },
  run_id: { name: METADATA_COLUMN_NAMES.run_id, type: { kind: 'string' }, nullable: true },
};

/** Now as a canonical timestamptz (milliseconds: all a JS clock gives). */
export function nowTimestamptz(): string {
  return canonicalTimestamptz(new Date().toISOString());
}

/** The mirror options of a request (defaults filled in), or undefined when it does not mirror. */
export function mirrorOf(request: OpenRequest): MirrorOptions | undefined {
  return request.write === 'mirror' ? (request.mirror ?? DEFAULT_MIRROR) : undefined;
}

/** True when Ferry adds columns of its own to the request's rows (then raw pass-through is impossible). */
export function addsColumns(request: Pick<OpenRequest, 'write' | 'mirror' | 'metadataColumns'>): boolean {
  return (request.metadataColumns?.length ?? 0) > 0 || (request.write === 'mirror' && request.mirror?.delete === 'soft');
}

/**
 * Ferry's own columns of one writer: the metadata columns the stream asked
 * for and, for a soft mirror, `_ferry_deleted_at` (NULL on every loaded row, so
 * a merge of a row that reappears in the source clears its mark). Destinations
 * write `request` (the stream's columns plus these) and wrap their writer with
 * `wrap`, which appends the values to every batch.
 *
 * @example
 * const ferry = FerryColumns.of(request);
 * const writer = await openWriter(ferry.request);
 * return ferry.wrap(writer);
 */
export class FerryColumns {
  /** The request with Ferry's columns appended to `columns`. */
  readonly request: OpenRequest;
  /** Timestamp of this run: `_ferry_synced_at`, and `_ferry_deleted_at` of rows a soft mirror marks. */
  readonly syncedAt: string;
  readonly #added: readonly Column[];
  readonly #values: readonly Value[];

  private constructor(request: OpenRequest) {
    if (request.write === 'mirror' && request.primaryKey.length === 0) {
      throw new ConfigError(`write: mirror into ${request.target.name} needs a primary key`, { stream: request.stream, hint: 'set primary_key: [col, ...] on the stream' });
    }
    this.syncedAt = request.syncedAt ?? nowTimestamptz();
    const metadata = [...new Set(request.metadataColumns ?? [])];
    const soft = mirrorOf(request)?.delete === 'soft';
    const added = [...metadata.map((m) => COLUMN_OF[m]), ...(soft ? [softDeleteColumn()] : [])];
    const clash = added.find((c) => request.columns.some((s) => s.name === c.name));
    if (clash) {
      throw new ConfigError(`stream column "${clash.name}" is reserved for Ferry's own column`, {
        stream: request.stream,
        hint: 'rename or exclude the column (exclude_columns), or turn off the setting that adds it (metadata_columns, mirror_delete: soft)',
      });
    }
    this.#added = added;
    this.#values = this.#added.map((c) => this.#valueOf(c.name, request.runId));
    this.request = this.#added.length === 0 ? request : { ...request, columns: [...request.columns, ...this.#added], syncedAt: this.syncedAt };
  }

  static of(request: OpenRequest): FerryColumns {
    return new FerryColumns(request);
  }

  /** The batch with Ferry's columns (and their values) appended. */
  widen(batch: Batch): Batch {
    if (this.#added.length === 0) return batch;
    const values = this.#values;
    return { ...batch, columns: [...batch.columns, ...this.#added], rows: batch.rows.map((row) => [...row, ...values]) };
  }

  /** A writer that widens every batch; without `writeRaw` when columns are added (raw bytes cannot carry them). */
  wrap(writer: StreamWriter): StreamWriter {
    if (this.#added.length === 0) return writer;
    return {
      write: (batch: Batch): Promise<WriteResult> => writer.write(this.widen(batch)),
      commit: (checkpoint) => writer.commit(checkpoint),
      abort: () => writer.abort(),
    };
  }

  #valueOf(name: string, runId: string): Value {
    if (name === METADATA_COLUMN_NAMES.synced_at) return this.syncedAt;
    if (name === METADATA_COLUMN_NAMES.run_id) return runId;
    return null;
  }
}

/** `_ferry_deleted_at timestamptz NULL`. */
export function softDeleteColumn(): Column {
  return { name: SOFT_DELETE_COLUMN, type: { kind: 'timestamptz' }, nullable: true };
}
