import type { ZodType } from 'zod';
import type { CaptureOptions, CdcColumnOptions, ChangeApplier, ChangeApplyOptions, ChangeCapture, ChangeTarget } from './change-capture.js';
import type { Checkpoint } from './checkpoint.js';
import type { ChunkPlan, ChunkPlanRequest, ChunkRange } from './chunk.js';
import type { RowFilter } from './row-filter.js';
import type { Batch, Column, LogicalType, StreamDescriptor, TableRef, Value } from './schema.js';
import type { TypeFidelity } from './type-fidelity.js';
import type { ExecuteOptions, SqlResult } from './sql-result.js';

/** How rows are read. `cdc`: a snapshot, then the source's change log (see docs/cdc.md). */
export const READ_MODES = ['full_refresh', 'incremental', 'cdc'] as const;
export type ReadMode = (typeof READ_MODES)[number];

/** How rows land in the destination. */
export const WRITE_MODES = ['replace', 'append', 'truncate', 'merge', 'mirror'] as const;
export type WriteMode = (typeof WRITE_MODES)[number];

/** How `mirror` removes target rows whose key the source no longer has. */
export const MIRROR_DELETES = ['hard', 'soft'] as const;
export type MirrorDelete = (typeof MIRROR_DELETES)[number];

/** Optional columns Ferry fills on every row it writes: `_ferry_synced_at`, `_ferry_run_id`. */
export const METADATA_COLUMNS = ['synced_at', 'run_id'] as const;
export type MetadataColumn = (typeof METADATA_COLUMNS)[number];

/**
 * What `mirror` does after merging: delete (`hard`) or stamp `_ferry_deleted_at`
 * (`soft`) on target rows in `scope` whose key the load lacks, unless a guard refuses.
 */
export interface MirrorOptions {
  readonly delete: MirrorDelete;
  /** A SQL predicate on the target (trusted: from the project files): only rows matching it may be deleted. */
  readonly scope?: string;
  /** Allow a load of zero rows to delete every row in scope (refused by default). */
  readonly allowEmpty: boolean;
  /** Refuse when more than this percentage (0-100) of the live rows in scope would be deleted. */
  readonly maxDeletePercent?: number;
}

/**
 * What to do when the source has columns the destination table lacks. The
 * `schema_change` key is shorthand for `schema_contract.columns`; the engine
 * applies the whole contract (see `schema-contract.ts`) before opening a writer.
 */
export const SCHEMA_CHANGE_POLICIES = ['evolve', 'freeze'] as const;
export type SchemaChangePolicy = (typeof SCHEMA_CHANGE_POLICIES)[number];

/**
 * Byte formats a source can emit and a destination can ingest without decoding rows:
 *
 * - `pg-binary`: Postgres binary COPY (header, tuples, trailer).
 * - `pg-copy-data`: the same binary COPY as the wire protocol's CopyData messages
 *   (`'d'`, int32 length, payload), as one server sends them and another takes
 *   them: passed between two Postgres connections without reframing or copying.
 * - `ferry-csv`: the records the files destination writes for these rows, byte for
 *   byte, without the header: comma-separated, `"` quotes doubled inside quotes,
 *   NULL an empty unquoted field, the empty string `""`, records ending in `\n`,
 *   UTF-8, each value in its canonical text (true/false, base64 bytes, `T`/`Z` timestamps).
 * - `pg-csv`: records Postgres reads with `COPY ... FROM STDIN (FORMAT csv)` (comma,
 *   `"`, NULL an empty unquoted field, no header, UTF-8) into exactly the values the
 *   decoded path would load into the writer's column types; the source has checked
 *   every value as its own decoder would.
 */
export const RAW_FORMATS = ['pg-binary', 'pg-copy-data', 'ferry-csv', 'pg-csv'] as const;
export type RawFormat = (typeof RAW_FORMATS)[number];

/** Minimal structured logger (a pino logger satisfies it). */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export interface ConnectorContext {
  /** The connection's name in ferry.yml, for messages. */
  readonly connection: string;
  /** Absolute project folder; relative paths in config resolve against it. */
  readonly projectDir: string;
  readonly logger: Logger;
}

/** A table, a SQL query, or (for file sources) a path or glob. */
export type ReadTarget =
  | { readonly kind: 'table'; readonly table: TableRef }
  | { readonly kind: 'query'; readonly sql: string };

export interface CursorRead {
  readonly column: string;
  readonly type: LogicalType;
  /** Inclusive lower bound (`>=`); undefined reads from the beginning. */
  readonly from?: Value;
  /**
   * Inclusive upper bound (`<=`), set by chunked reads: every chunk reads the
   * same cursor window, fixed when the chunks were planned.
   */
  readonly to?: Value;
  /** Also read rows whose cursor is NULL (`OR cursor IS NULL`). */
  readonly includeNulls: boolean;
}

export interface ReadRequest {
  /** Stream name, for messages. */
  readonly stream: string;
  readonly target: ReadTarget;
  /** Columns to read, in order; undefined reads all columns of `describe()`. */
  readonly columns?: readonly string[];
  /** A SQL predicate (trusted: it comes from the project files) ANDed to the read. */
  readonly where?: string;
  /** Typed row filters, ANDed to the read; compiled to SQL (bound or typed literals) or applied while reading. */
  readonly filters?: readonly RowFilter[];
  readonly cursor?: CursorRead;
  /** Read only this range (from `Source.planChunks`), ANDed to everything else. */
  readonly chunk?: ChunkRange;
  /** Target rows per batch. */
  readonly batchSize: number;
  /**
   * Read in this snapshot (`Source.shareSnapshot`), so that several reads on
   * separate connections see exactly one state of the database.
   */
  readonly snapshot?: string;
}

/** A snapshot several reads can share (`ReadRequest.snapshot`); valid until released. */
export interface SharedSnapshot {
  readonly id: string;
  /** End the session that holds the snapshot; reads that imported it keep it. Never throws. */
  release(): Promise<void>;
}

export interface Source {
  /** Readable tables with their columns, keys and logical types. */
  discover(): Promise<StreamDescriptor[]>;
  /** Columns (and key, if any) of one table or query. Throws a clear error if it does not exist. */
  describe(target: ReadTarget): Promise<StreamDescriptor>;
  /** The statement `read` will run, for run records and `--dry-run`. */
  readSql(request: ReadRequest): string;
  /** Rows `read` would return (exact). Used by `--dry-run`. */
  count(request: ReadRequest): Promise<number>;
  /**
   * The database planner's estimate of the rows `read` would return, without
   * reading them (Postgres: `EXPLAIN`); undefined when there is none. Decides
   * `chunks: auto` for narrowed reads (an incremental cursor window).
   */
  estimateRows?(request: ReadRequest): Promise<number | undefined>;
  /** Stream rows in batches. Memory stays flat: the next batch is read only when this one was consumed. */
  read(request: ReadRequest, signal: AbortSignal): AsyncIterable<Batch>;
  /** Raw formats `readRaw` can produce. */
  readonly rawFormats: readonly RawFormat[];
  /**
   * The formats of `rawFormats` this read can produce with exactly the values `read`
   * would give (some depend on the columns' types or the read's filters). Absent: all of them.
   */
  rawFormatsFor?(request: ReadRequest, columns: readonly Column[]): readonly RawFormat[];
  /** Stream the rows as bytes of `format` (pass-through). Only offered for formats in `rawFormats`. */
  readRaw?(request: ReadRequest, format: RawFormat, signal: AbortSignal): AsyncIterable<Uint8Array>;
  /**
   * Where the row a destination rejected at `position` of a raw read (in the
   * format's terms, see ErrorContext.rawPosition) comes from, e.g. file
   * `orders.csv` line 12. Optional; may re-read the input (it runs only on that error path).
   */
  locateRawRow?(request: ReadRequest, format: RawFormat, position: number): Promise<{ readonly file?: string; readonly line?: number } | undefined>;
  /** Change data capture (`mode: cdc`), where the source has a change log. */
  openChangeCapture?(options: CaptureOptions): ChangeCapture;
  /**
   * Split a table read into disjoint ranges covering every row (key ranges, or
   * physical ranges for tables without a usable key), each readable on its own
   * connection by setting `ReadRequest.chunk`. Absent: the source reads in one piece.
   * Returns a single open range when the read cannot be split (queries, tiny tables).
   */
  planChunks?(request: ChunkPlanRequest): Promise<ChunkPlan>;
  /**
   * Take a snapshot that reads on other connections can import (`ReadRequest.snapshot`):
   * the ranges of one read, read in parallel, then see one consistent state (Postgres:
   * `pg_export_snapshot`). Absent: parallel reads each see their own moment.
   */
  shareSnapshot?(signal: AbortSignal): Promise<SharedSnapshot>;
  /** Run one SQL statement (watermark resolvers against a source connection). SQL sources only. */
  execute?(sql: string, options?: ExecuteOptions): Promise<SqlResult>;
  /**
   * A canonical value as a SQL literal of this source's dialect, quoted and
   * typed like `type` (watermarks substituted into a stream's `sql`/`where`).
   * SQL sources only; never raw text.
   */
  literal?(value: Value, type: LogicalType): string;
  /**
   * Open a session now, so that connecting overlaps the destination's setup
   * (loading its connector); planning's first query then finds it. Sources
   * that connect cheaply leave it out. Fails as the first use would.
   */
  connect?(): Promise<void>;
  close(): Promise<void>;
}

export interface DestinationCapabilities {
  readonly writes: readonly WriteMode[];
  /** Data and checkpoint commit in one transaction (`readCheckpoint` is meaningful). */
  readonly transactional: boolean;
  readonly rawFormats: readonly RawFormat[];
  /** Table names may carry a schema. */
  readonly schemas: boolean;
  /** `open` honours `OpenRequest.direct` (append without staging, data and checkpoint in one transaction). */
  readonly directAppend?: boolean;
  /** Several writers of one stream may be open at once (chunks written in parallel); else the engine writes chunks one by one. */
  readonly parallelWriters?: boolean;
  /**
   * Table names compare ignoring case (SQLite, DuckDB): targets `Orders` and
   * `orders` are one table, so the planner refuses two streams writing them.
   */
  readonly caseInsensitiveNames?: boolean;
}

export interface OpenRequest {
  readonly sync: string;
  readonly stream: string;
  readonly runId: string;
  readonly target: TableRef;
  readonly columns: readonly Column[];
  readonly write: WriteMode;
  /** Key for `merge`; may be empty for other writes. */
  readonly primaryKey: readonly string[];
  /** For `merge`: the column whose highest value wins among duplicate keys in one load. */
  readonly cursorColumn?: string;
  readonly schemaChange: SchemaChangePolicy;
  /**
   * Existing target columns to change to the type of the request column of
   * the same name before rows are published, in the publish transaction. The
   * engine lists only safe widenings the destination accepted (`TargetTable.widenRefusal`).
   * Ignored by `replace`, whose new table has the request's types anyway.
   */
  readonly widen?: readonly string[];
  /** Set when the engine will call `writeRaw` with this format instead of `write`. */
  readonly rawFormat?: RawFormat;
  /**
   * With `write: append` on an existing table no one else reads (a chunked
   * replace's landing table): load straight into it in one transaction that
   * `commit` closes with the checkpoint. Only when `capabilities.directAppend`.
   */
  readonly direct?: boolean;
  /** For `mirror`: how rows missing from the load go. Default: hard deletes, no scope, empty loads refused. */
  readonly mirror?: MirrorOptions;
  /** Metadata columns to append to every row (see `ferry-columns.ts`). */
  readonly metadataColumns?: readonly MetadataColumn[];
  /**
   * A `mode: cdc` snapshot: append the columns the change apply writes
   * (`cdcColumns`), so the target has them from the start: `_ferry_lsn` =
   * `lsn` (the snapshot's position; required with `lsnColumn`),
   * `_ferry_synced_at` = `syncedAt`, `_ferry_deleted_at` NULL.
   */
  readonly cdcSnapshot?: CdcColumnOptions & { readonly lsn?: bigint };
  /**
   * Canonical timestamptz of the run's start: the value of `_ferry_synced_at`
   * and of `_ferry_deleted_at` on rows a soft mirror marks. Default: when the writer opened.
   */
  readonly syncedAt?: string;
}

export interface WriteResult {
  /** Rows accepted into staging by this call. */
  readonly rows: number;
}

export interface CommitResult {
  /** Rows published to the target (inserted or updated). */
  readonly rows: number;
  /** Statements run to publish, for run records. */
  readonly sql: readonly string[];
  /** `mirror`: target rows deleted (or, soft, newly marked deleted). */
  readonly deleted?: number;
}

export interface StreamWriter {
  /** Stage a batch. Nothing is visible in the target until `commit`. */
  write(batch: Batch): Promise<WriteResult>;
  /** Stage bytes of `OpenRequest.rawFormat`. */
  writeRaw?(chunks: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<WriteResult>;
  /**
   * Verify the staged row count and publish atomically. A transactional
   * destination stores `checkpoint` in the same transaction.
   */
  commit(checkpoint: Checkpoint | undefined): Promise<CommitResult>;
  /** Drop staged data; the target is left as it was. Safe to call twice or after a failed commit. */
  abort(): Promise<void>;
  /**
   * A folder on the destination's own storage where the engine may keep temp
   * files while it feeds this writer (files: the target's folder, which has to
   * hold the output anyway). Absent: the system's temp folder.
   */
  readonly tempFolder?: string;
}

/** Replace `target` by a table built with earlier `append` commits (chunked `replace`). */
export interface PublishTableRequest {
  readonly sync: string;
  readonly stream: string;
  /** The table the chunks were appended to; it becomes `target`. */
  readonly from: TableRef;
  readonly target: TableRef;
  readonly primaryKey: readonly string[];
  /**
   * The chunk plan's identity (the run that made it). A destination whose swap
   * cannot share a transaction with the checkpoint (MySQL's RENAME is DDL)
   * marks the built table with it, so a rerun after a crash between the two
   * can tell that this plan's table was already swapped in.
   */
  readonly plan: string;
  /**
   * Rows the built table holds, when the caller knows them (the sum the chunks'
   * committed checkpoints recorded): the destination then reports this instead
   * of counting the table again.
   */
  readonly rows?: number;
}

/** An existing target table as the destination reads it back, for schema contracts. */
export interface TargetTable {
  /** Columns in table order, with the logical types the destination's own source would read. */
  readonly columns: readonly Column[];
  /** Column names match case-insensitively (SQLite, DuckDB), so `Amount` is the column `amount`. */
  readonly namesIgnoreCase: boolean;
  /**
   * Why this destination cannot change `column` to type `to` in place (a key
   * column, a limit of the engine), or undefined when it can.
   */
  widenRefusal(column: string, to: LogicalType): string | undefined;
}

export interface Destination {
  readonly capabilities: DestinationCapabilities;
  /**
   * The target as it exists, or undefined when it does not exist yet.
   * Destinations without table schemas (files: every load writes the stream's
   * own columns) leave it out, and schema contracts do not apply to them.
   */
  describeTarget?(target: TableRef): Promise<TargetTable | undefined>;
  /** Where a stream lands unless the sync names a target. */
  defaultTarget(stream: StreamDescriptor, schema?: string): TableRef;
  /**
   * The formats of `capabilities.rawFormats` a writer at `target` takes for
   * these columns, in no particular order (the source's preference decides);
   * all of them when left out. Pure: no I/O.
   */
  rawFormatsFor?(target: TableRef, columns: readonly Column[]): readonly RawFormat[];
  open(request: OpenRequest, signal: AbortSignal): Promise<StreamWriter>;
  /**
   * Whether a column lands at `target` exactly, by a documented mapping, or not
   * at all (see core/type-fidelity.ts). Pure: decided from the type map, no I/O.
   */
  typeFidelity(column: Column, target: TableRef): TypeFidelity;
  /** The checkpoint committed with the data (transactional destinations), if any. */
  readCheckpoint(sync: string, stream: string): Promise<Checkpoint | undefined>;
  /** Apply captured changes (`mode: cdc`) with the checkpoint in the same transaction. */
  openChangeApplier?(options: ChangeApplyOptions, targets: readonly ChangeTarget[], signal: AbortSignal): Promise<ChangeApplier>;
  /**
   * Atomically swap `request.from` in as `request.target` (dropping the old
   * target, adding the primary key) and store `checkpoint` in the same
   * transaction. Offered by destinations that can keep a partly built table
   * across runs, which chunked `replace` needs to resume after a crash.
   */
  publishTable?(request: PublishTableRequest, checkpoint: Checkpoint, signal: AbortSignal): Promise<CommitResult>;
  /** Run one SQL statement outside any stream's transaction (hooks, watermark resolvers). SQL destinations only. */
  execute?(sql: string, options?: ExecuteOptions): Promise<SqlResult>;
  /**
   * Open a session now, before anything is asked of the destination, so that
   * connecting overlaps the source's planning; the first checkpoint read and
   * writer then find it. Destinations that connect cheaply leave it out.
   * Fails as the first use would (ConnectionError).
   */
  connect?(): Promise<void>;
  close(): Promise<void>;
}

/** A connector: a config schema plus factories. Registered by name in `connectors/registry.ts`. */
export interface ConnectorDefinition<C = unknown> {
  /** The `type` used in ferry.yml. */
  readonly name: string;
  readonly description: string;
  readonly configSchema: ZodType<C>;
  /** Config keys holding secrets: never logged, stored or shown. */
  readonly secretKeys: readonly string[];
  /**
   * Import the modules the connector's sources and destinations need, when they
   * are heavy (DuckDB's native binding). The engine awaits it before
   * `createSource`/`createDestination`, so a run that does not use the connector
   * never pays for loading it. Idempotent.
   */
  load?(): Promise<void>;
  /** Open and close a connection; throws ConnectionError with a clear message. */
  check(config: C, ctx: ConnectorContext): Promise<void>;
  createSource?(config: C, ctx: ConnectorContext): Source;
  createDestination?(config: C, ctx: ConnectorContext): Destination;
}
