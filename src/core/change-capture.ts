import type { Checkpoint } from './checkpoint.js';
import type { ReadRequest, SchemaChangePolicy } from './connector.js';
import { LSN_COLUMN, METADATA_COLUMN_NAMES, SOFT_DELETE_COLUMN } from './ferry-columns.js';
import type { Batch, Column, TableRef, Value } from './schema.js';

/**
 * Change data capture: the vocabulary between a source that decodes a
 * database's change log (Postgres logical replication) and a destination that
 * applies changes. No I/O here.
 *
 * Positions are LSNs as bigint (a Postgres LSN is a 64-bit WAL byte offset).
 */

/** How deleted source rows land: removed, or kept with `_ferry_deleted_at` set. */
export const CDC_DELETE_MODES = ['hard', 'soft'] as const;
export type CdcDeleteMode = (typeof CDC_DELETE_MODES)[number];

/** Metadata column names CDC adds to targets when asked (shared with `mirror` and `metadata_columns`). */
export const CDC_COLUMNS = {
  lsn: LSN_COLUMN,
  syncedAt: METADATA_COLUMN_NAMES.synced_at,
  deletedAt: SOFT_DELETE_COLUMN,
} as const;

/**
 * One row change. `row` follows the change's `columns`; `undefined` in it means
 * "unchanged TOAST value": the stored value must be kept, never set to NULL.
 */
export type RowChange =
  /** `insert`: an INSERT at the source, so the key had no row there just before. */
  | { readonly op: 'upsert'; readonly row: readonly (Value | undefined)[]; readonly insert?: boolean }
  | { readonly op: 'delete'; readonly key: readonly Value[] }
  | { readonly op: 'truncate' };

/** A change of one captured table, with the columns its relation had when it was made. */
export interface TableChange {
  readonly stream: string;
  readonly columns: readonly Column[];
  readonly change: RowChange;
}

/** One committed source transaction, in commit order. */
export interface SourceTransaction {
  /** LSN of the commit record: unique per transaction, orders transactions. */
  readonly commitLsn: bigint;
  /** LSN just past the commit record: what the slot is confirmed up to once applied. */
  readonly endLsn: bigint;
  /** When it committed on the source: microseconds since the Unix epoch (source clock). */
  readonly commitTime?: bigint;
  readonly changes: readonly TableChange[];
}

export type CaptureEvent =
  | { readonly type: 'transaction'; readonly transaction: SourceTransaction }
  /**
   * Everything committed before the catch-up mark has been delivered. `at`:
   * when the mark was written (microseconds since the Unix epoch, source clock).
   */
  | { readonly type: 'caught_up'; readonly lsn: bigint; readonly at?: bigint }
  /**
   * A heartbeat mark (continuous mode) arrived: every transaction committed
   * before `lsn` has been delivered, so with nothing pending `lsn` may be confirmed.
   */
  | { readonly type: 'mark'; readonly lsn: bigint; readonly at?: bigint };

/** A table captured by a sync. */
export interface CapturedTable {
  readonly stream: string;
  readonly table: TableRef;
  /** Columns the stream selects (relation columns outside this list are dropped, new ones kept). */
  readonly columns: readonly Column[];
  /** Every column the table had at plan time; a relation column outside it is new and kept. */
  readonly knownColumns: readonly string[];
  readonly primaryKey: readonly string[];
}

export interface SlotStatus {
  readonly slot: string;
  readonly exists: boolean;
  readonly active: boolean;
  readonly confirmedLsn?: bigint;
  readonly restartLsn?: bigint;
  /** Current WAL write position of the server. */
  readonly walLsn: bigint;
  /** WAL the slot keeps on disk (current position - restart LSN), bytes. */
  readonly retainedBytes: bigint;
  /** Not yet confirmed (current position - confirmed LSN), bytes. */
  readonly lagBytes: bigint;
  /** The server's clock when the status was read: microseconds since the Unix epoch. */
  readonly serverTime?: bigint;
}

/** A consistent snapshot: tables read at it hold every transaction committed before `lsn` and none after. */
export interface SnapshotSession {
  readonly lsn: bigint;
  read(request: ReadRequest, signal: AbortSignal): AsyncIterable<Batch>;
  /** Ends the exporting connection; a temporary slot goes with it. */
  release(): Promise<void>;
}

export interface CaptureOptions {
  readonly sync: string;
  readonly slot: string;
  readonly publication: string;
  readonly tables: readonly CapturedTable[];
}

/** A source's change log, opened by `Source.openChangeCapture`. */
export interface ChangeCapture {
  /** Create or extend the publication and check every table can be captured (key / replica identity). */
  prepare(): Promise<void>;
  status(): Promise<SlotStatus>;
  /** Create the permanent slot and export its snapshot. */
  createSlot(): Promise<SnapshotSession>;
  /** A snapshot for tables added later or resynced (a temporary slot's exported snapshot). */
  snapshot(): Promise<SnapshotSession>;
  /**
   * Decoded transactions from the slot's confirmed position. With `catchUp`,
   * a `caught_up` event marks the WAL end as of the call and nothing follows it.
   * `readAhead`: changes decoded ahead of the consumer (default one batch).
   * When `end` aborts, the stream ends without an error after the last
   * confirmation reached the server (`signal` cancels instead).
   */
  changes(options: { readonly catchUp: boolean; readonly readAhead?: number; readonly end?: AbortSignal }, signal: AbortSignal): AsyncIterable<CaptureEvent>;
  /** Write a heartbeat mark into the log; it comes back through `changes` as a `mark` event. */
  mark(): Promise<void>;
  /** Tell the server everything before `lsn` is durably applied (the slot may release WAL). */
  confirm(lsn: bigint): Promise<void>;
  /** Remove the slot (and the publication when Ferry created it). */
  drop(): Promise<{ readonly slot: boolean; readonly publication: boolean }>;
  close(): Promise<void>;
}

/** Ferry's own columns of a sync's cdc targets (`cdc.deletes`, `cdc.lsn_column`, `cdc.synced_at_column`; see `cdcColumns`). */
export interface CdcColumnOptions {
  readonly deletes: CdcDeleteMode;
  readonly lsnColumn: boolean;
  readonly syncedAtColumn: boolean;
}

/** How a destination applies changes. */
export interface ChangeApplyOptions extends CdcColumnOptions {
  readonly sync: string;
  readonly runId: string;
}

export interface ChangeTarget {
  readonly stream: string;
  readonly target: TableRef;
  readonly primaryKey: readonly string[];
  readonly schemaChange: SchemaChangePolicy;
}

/** Changes of one table in one apply, in source order, each with its transaction's commit LSN. */
export interface TableChanges {
  readonly target: ChangeTarget;
  readonly changes: readonly { readonly lsn: bigint; readonly columns: readonly Column[]; readonly change: RowChange }[];
}

export interface ChangeApplier {
  /**
   * Apply the changes and store the checkpoints in ONE destination transaction.
   * Re-applying a transaction already applied leaves the same rows (merge and
   * delete by key are idempotent). Returns the rows touched.
   */
  apply(tables: readonly TableChanges[], checkpoints: readonly Checkpoint[]): Promise<number>;
  close(): Promise<void>;
}
