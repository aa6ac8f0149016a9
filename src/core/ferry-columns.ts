import type { CdcColumnOptions } from './change-capture.js';
import type { MetadataColumn, MirrorOptions, OpenRequest, StreamWriter, WriteResult } from './connector.js';
import { ConfigError } from './errors.js';
import { canonicalTimestamptz } from './values.js';
import type { Batch, Column, Value } from './schema.js';

/** Soft-delete marker of `mirror` with `mirror_delete: soft` (CDC uses the same column). */
export const SOFT_DELETE_COLUMN = '_ferry_deleted_at';

/** `mode: cdc` with `lsn_column`: the source log position (Postgres LSN as a 64-bit number) the row was last written at. */
export const LSN_COLUMN = '_ferry_lsn';

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

/**
 * The columns `mode: cdc` adds to a target, in table order: `_ferry_lsn`
 * (int64), `_ferry_synced_at`, `_ferry_deleted_at` (timestamptz). The
 * snapshot creates them (see `OpenRequest.cdcSnapshot`) and change appliers
 * add any missing one with the destination's type for the same logical type,
 * so both paths agree on names and types.
 */
export function cdcColumns(options: CdcColumnOptions): Column[] {
  return [
    ...(options.lsnColumn ? [lsnColumn()] : []),
    ...(options.syncedAtColumn ? [COLUMN_OF.synced_at] : []),
    ...(options.deletes === 'soft' ? [softDeleteColumn()] : []),
  ];
}

/**
 * The target columns a request lacks that `schema_change: freeze` refuses to
 * add: all of them, except a cdc snapshot's own columns, which are added
 * whatever the policy (as the change apply adds them: `schema_change` is about
 * the source's columns).
 */
export function frozenOut<C extends { readonly name: string }>(request: Pick<OpenRequest, 'cdcSnapshot'>, missing: readonly C[]): C[] {
  const own = new Set(request.cdcSnapshot ? cdcColumns(request.cdcSnapshot).map((c) => c.name) : []);
  return missing.filter((c) => !own.has(c.name));
}

/** Now as a canonical timestamptz (milliseconds: all a JS clock gives). */
export function nowTimestamptz(): string {
  return canonicalTimestamptz(new Date().toISOString());
}

/** The mirror options of a request (defaults filled in), or undefined when it does not mirror. */
export function mirrorOf(request: OpenRequest): MirrorOptions | undefined {
  return request.write === 'mirror' ? (request.mirror ?? DEFAULT_MIRROR) : undefined;
}

/** True when Ferry adds columns of its own to the request's rows (then raw pass-through is impossible). */
export function addsColumns(request: Pick<OpenRequest, 'write' | 'mirror' | 'metadataColumns' | 'cdcSnapshot'>): boolean {
  return (
    (request.metadataColumns?.length ?? 0) > 0 ||
    (request.write === 'mirror' && request.mirror?.delete === 'soft') ||
    (request.cdcSnapshot !== undefined && cdcColumns(request.cdcSnapshot).length > 0)
  );
}

/**
 * Ferry's own columns of one writer: the metadata columns the stream asked
 * for and, for a soft mirror, `_ferry_deleted_at` (NULL on every loaded row, so
 * a merge of a row that reappears in the source clears its mark); for a cdc
 * snapshot, the columns the change apply writes (`cdcColumns`): `_ferry_lsn`
 * set to the snapshot's position, `_ferry_synced_at` to `syncedAt`,
 * `_ferry_deleted_at` NULL. Each name is added once. Destinations
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
  readonly #lsn: bigint | undefined;

  private constructor(request: OpenRequest) {
    if (request.write === 'mirror' && request.primaryKey.length === 0) {
      throw new ConfigError(`write: mirror into ${request.target.name} needs a primary key`, { stream: request.stream, hint: 'set primary_key: [col, ...] on the stream' });
    }
    this.syncedAt = request.syncedAt ?? nowTimestamptz();
    const metadata = [...new Set(request.metadataColumns ?? [])];
    const soft = mirrorOf(request)?.delete === 'soft';
    const cdc = request.cdcSnapshot;
    if (cdc?.lsnColumn && cdc.lsn === undefined) throw new Error(`a cdc snapshot of ${request.stream} with lsn_column needs the snapshot's LSN`);
    this.#lsn = cdc?.lsn;
    const wanted = [...(cdc ? cdcColumns(cdc) : []), ...metadata.map((m) => COLUMN_OF[m]), ...(soft ? [softDeleteColumn()] : [])];
    const added = wanted.filter((c, i) => wanted.findIndex((w) => w.name === c.name) === i);
    const clash = added.find((c) => request.columns.some((s) => s.name === c.name));
    if (clash) {
      throw new ConfigError(`stream column "${clash.name}" is reserved for Ferry's own column`, {
        stream: request.stream,
        hint: 'rename or exclude the column (exclude_columns), or turn off the setting that adds it (metadata_columns, mirror_delete: soft, cdc lsn_column / synced_at_column / deletes: soft)',
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
    if (name === LSN_COLUMN) return this.#lsn ?? null;
    return null;
  }
}

/** `_ferry_deleted_at timestamptz NULL`. */
export function softDeleteColumn(): Column {
  return { name: SOFT_DELETE_COLUMN, type: { kind: 'timestamptz' }, nullable: true };
}

/** `_ferry_lsn bigint NULL`. */
export function lsnColumn(): Column {
  return { name: LSN_COLUMN, type: { kind: 'int64' }, nullable: true };
}
