import type { MetadataColumn, MirrorDelete, ReadMode, SchemaChangePolicy, WriteMode } from '../core/connector.js';
import type { FilterOp } from '../core/row-filter.js';
import type { SchemaContractSetting } from '../core/schema-contract.js';
import type { CdcSettings } from './cdc-schema.js';

/**
 * The validated, interpolated project: what `loadProject()` returns. The zod
 * schemas in `schema.ts` produce exactly these shapes.
 */

export const NULL_CURSOR_POLICIES = ['exclude', 'include', 'fail'] as const;
/**
 * Rows whose cursor is NULL:
 * - `exclude` (default): loaded by a run without a lower bound (first run, full
 *   refresh), skipped by incremental runs;
 * - `include`: read by every run (`OR cursor IS NULL`): pair with `merge`;
 * - `fail`: the run fails when one is seen.
 */
export type NullCursorPolicy = (typeof NULL_CURSOR_POLICIES)[number];

export interface ConnectionConfig {
  readonly name: string;
  readonly type: string;
  /** Connector-specific settings, validated by the connector's schema. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Where it was defined, for errors. */
  readonly location: SourceLocation;
}

export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** Settings that can be given per stream or as sync `defaults`. */
export interface StreamSettings {
  readonly mode?: ReadMode;
  readonly write?: WriteMode;
  readonly primary_key?: readonly string[];
  readonly cursor?: string;
  /** First lower bound for an incremental cursor, as text (e.g. `2024-01-01`). */
  readonly cursor_start?: string;
  readonly null_cursor?: NullCursorPolicy;
  /** Columns to keep (names or `*` globs); all when absent. */
  readonly columns?: readonly string[];
  /** Columns to drop (names or globs), applied after `columns`. */
  readonly exclude_columns?: readonly string[];
  /**
   * Target table. May use `{stream_schema}`, `{stream_table}`, `{stream}` and
   * `{target_schema}` placeholders; `schema.table` or `table`.
   */
  readonly target?: string;
  /** Default destination schema for this sync's streams. */
  readonly target_schema?: string;
  /** SQL predicate ANDed to the source read. */
  readonly where?: string;
  /** Shorthand for `schema_contract.columns`. */
  readonly schema_change?: SchemaChangePolicy;
  /** What the stream may change in its target: one mode, or per tables/columns/data_type. */
  readonly schema_contract?: SchemaContractSetting;
  /** Rows per batch on the data path. */
  readonly batch_size?: number;
  /** Key/page ranges to read in parallel and checkpoint one by one; `auto` decides by table size. */
  readonly chunks?: number | 'auto';
  /** Chunks of one stream read at once. */
  readonly parallelism?: number;
  /** Refuse the stream when the destination would map a column to another type. */
  readonly strict_types?: boolean;
  /** `mirror`: delete rows missing from the source (`hard`) or mark them in `_ferry_deleted_at` (`soft`). */
  readonly mirror_delete?: MirrorDelete;
  /** `mirror`: SQL predicate on the target limiting which rows may be deleted. */
  readonly mirror_scope?: string;
  /** `mirror`: let an empty source read delete every row in scope. */
  readonly mirror_allow_empty?: boolean;
  /** `mirror`: refuse to delete more than this percentage of the live rows in scope. */
  readonly mirror_max_delete_percent?: number;
  /** Ferry metadata columns added to every row. */
  readonly metadata_columns?: readonly MetadataColumn[];
}

/** A filter value as written: numbers stay text until the column's type is known. */
export type FilterValueText = string | boolean | null;

/** One row filter as configured (values still text), with where it was written. */
export interface FilterConfig {
  readonly column: string;
  readonly op: FilterOp;
  readonly value: FilterValueText | readonly FilterValueText[];
  readonly location: SourceLocation;
  /** Where `column` and `value` are written, for errors about them. */
  readonly columnLocation: SourceLocation;
  readonly valueLocation: SourceLocation;
}

/** A named watermark: a resolver query whose first cell replaces `{name}` in a stream's SQL. */
export interface WatermarkConfig {
  readonly name: string;
  /** Connection the query runs on; undefined: the sync's destination. */
  readonly connection?: string;
  readonly sql: string;
  /** Text used when the query returns no row or NULL, or fails. */
  readonly default?: string;
  readonly location: SourceLocation;
}

/** When a hook runs, relative to the outcome of its stream or sync. */
export type HookRunOnConfig = 'success' | 'failure' | 'always';

/** A SQL statement run on the destination after a stream or a sync. */
export interface HookConfig {
  readonly sql: string;
  readonly runOn: HookRunOnConfig;
  readonly location: SourceLocation;
}

export interface StreamConfig extends StreamSettings {
  /**
   * The stream's key in the sync file: a table name (`public.orders`), a
   * wildcard (`public.*`), or a free name when `sql` is given.
   */
  readonly name: string;
  /** A SQL query to read instead of a table. */
  readonly sql?: string;
  /** For file sources: a path or glob relative to the connection's root. */
  readonly path?: string;
  /** Set to `false` to leave a stream matched by a wildcard out. */
  readonly enabled: boolean;
  /** Row filters, ANDed, applied at the source. */
  readonly filters?: readonly FilterConfig[];
  /** Watermarks of this stream (they override the sync's of the same name). */
  readonly watermarks?: readonly WatermarkConfig[];
  /** Statements run on the destination after this stream. */
  readonly hooks?: readonly HookConfig[];
  readonly location: SourceLocation;
}

export interface SyncConfig {
  /** File name without extension: `syncs/shop.yml` is sync `shop`. */
  readonly name: string;
  readonly file: string;
  readonly source: string;
  readonly destination: string;
  readonly defaults: StreamSettings;
  readonly streams: readonly StreamConfig[];
  /** Settings of `mode: cdc` streams (slot, publication, deletes, metadata columns). */
  readonly cdc?: CdcSettings;
  readonly tags: readonly string[];
  /** Cron expression; stored only for now. */
  readonly schedule?: string;
  readonly description?: string;
  /** Watermarks every stream of the sync may use. */
  readonly watermarks?: readonly WatermarkConfig[];
  /** Statements run on the destination after the sync's streams. */
  readonly hooks?: readonly HookConfig[];
  readonly location: SourceLocation;
}

export interface ProjectDefaults {
  /** Streams of a sync read concurrently. */
  readonly threads: number;
  readonly batch_size: number;
}

export interface Project {
  readonly name: string;
  /** Absolute project folder. */
  readonly dir: string;
  /** State store URL: `sqlite:<path>` (relative to the project) or `postgres://...`. */
  readonly state: string;
  readonly connections: ReadonlyMap<string, ConnectionConfig>;
  readonly syncs: ReadonlyMap<string, SyncConfig>;
  readonly defaults: ProjectDefaults;
}
