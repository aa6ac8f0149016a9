import { z } from 'zod';
import { METADATA_COLUMNS, MIRROR_DELETES, READ_MODES, SCHEMA_CHANGE_POLICIES, WRITE_MODES } from '../core/connector.js';
import { cdcSettingsSchema } from './cdc-schema.js';
import { filtersSchema } from './filter-schema.js';
import { hooksSchema } from './hook-schema.js';
import { NULL_CURSOR_POLICIES } from './project.js';
import { schemaContractSettingSchema } from './schema-contract-setting.js';
import { watermarksSchema } from './watermark-schema.js';

/**
 * Zod schemas of `ferry.yml` and `syncs/*.yml`, exactly as written by users.
 * Every key carries a description: `ferry schema` turns them into JSON Schema
 * docs that editors show on hover. The loader adds what YAML cannot say by
 * itself (names from keys and file names, locations) to build `project.ts` types.
 */

export const DEFAULT_STATE = 'sqlite:.ferry/state.db';
export const DEFAULT_THREADS = 4;
export const DEFAULT_BATCH_SIZE = 10_000;
export const CHUNKS_MAX = 256;

const oneOrMany = (item: string, description: string) =>
  z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)], { error: `expected ${item} or a list of them` })
    .transform((v): string[] => (typeof v === 'string' ? [v] : v))
    .optional()
    .describe(description);

const batchSize = (description: string) => z.int().positive().describe(description);

/** Settings a stream may set, or a sync may set for all its streams under `defaults`. */
export const streamSettingsShape = {
  mode: z
    .enum(READ_MODES)
    .optional()
    .describe('How rows are read. full_refresh (default): every row, every run. incremental: only rows whose `cursor` is >= the last value delivered. cdc: a consistent snapshot, then the changes from the source log (Postgres; see `cdc` and docs/cdc.md).'),
  write: z
    .enum(WRITE_MODES)
    .optional()
    .describe(
      'How rows land. replace: stage, then swap the table atomically. append: add rows. truncate: empty the table and insert, keeping it. merge: upsert on primary_key. mirror: merge, then delete target rows whose key the source no longer has (full_refresh only; see mirror_*). Default: replace for full_refresh, merge for incremental with a key, else append.',
    ),
  mirror_delete: z
    .enum(MIRROR_DELETES)
    .optional()
    .describe('write: mirror only. hard (default): delete target rows whose key the source no longer has. soft: keep them and set their _ferry_deleted_at (timestamptz) to the run start; a row that comes back gets NULL again.'),
  mirror_scope: z
    .string()
    .min(1)
    .optional()
    .describe('write: mirror only. SQL predicate on the target: only rows matching it may be deleted, e.g. "tenant_id = 7" when the source read is limited to that tenant.'),
  mirror_allow_empty: z
    .boolean()
    .optional()
    .describe('write: mirror only. false (default): a source read of zero rows that would delete rows fails the stream and changes nothing. true: an empty source empties the target (or its scope).'),
  mirror_max_delete_percent: z
    .number()
    .min(0)
    .max(100)
    .optional()
    .describe('write: mirror only. Fail the stream, changing nothing, when more than this percentage of the live target rows in scope would be deleted. Default: no limit.'),
  metadata_columns: z
    .array(z.enum(METADATA_COLUMNS))
    .optional()
    .describe('Ferry columns added to every row written: synced_at -> _ferry_synced_at (timestamptz, the run start, the same for every row of a run), run_id -> _ferry_run_id (text). Any write mode and destination; not mode: cdc (use cdc.synced_at_column / cdc.lsn_column).'),
  primary_key: oneOrMany('a column name', 'Key column(s) used by merge and incremental dedup: `id` or `[tenant_id, id]`. Default: the key the source declares.'),
  cursor: z
    .string()
    .min(1)
    .optional()
    .describe('Column that grows when a row changes (`updated_at`, a sequence). Required when mode is incremental.'),
  cursor_start: z
    .string()
    .optional()
    .describe('Lower bound of the cursor for the very first incremental run, as text, e.g. "2024-01-01" or 1000.'),
  null_cursor: z
    .enum(NULL_CURSOR_POLICIES)
    .optional()
    .describe('Rows whose cursor is NULL. exclude (default): loaded by runs without a lower bound, skipped after. include: read by every run (pair with merge). fail: the run fails.'),
  columns: oneOrMany('a column name or glob', 'Columns to keep, in source order; names or globs (`*`, `?`). Default: all columns.'),
  exclude_columns: oneOrMany('a column name or glob', 'Columns to drop, applied after `columns`; names or globs such as `secret_*`.'),
  target: z
    .string()
    .min(1)
    .optional()
    .describe('Target table, `schema.table` or `table`. Placeholders: {stream_schema}, {stream_table}, {stream}, {target_schema}. Default: the source table name in target_schema.'),
  target_schema: z
    .string()
    .min(1)
    .optional()
    .describe("Destination schema for default targets. Default: the destination connection's schema."),
  where: z.string().min(1).optional().describe("SQL predicate ANDed to the source read, e.g. \"status <> 'test'\" (database sources)."),
  schema_change: z
    .enum(SCHEMA_CHANGE_POLICIES)
    .optional()
    .describe('Shorthand for schema_contract.columns: evolve (default) adds new source columns to the target; freeze fails the run naming them.'),
  schema_contract: schemaContractSettingSchema,
  batch_size: batchSize('Rows per batch on the data path. Default: defaults.batch_size of ferry.yml.').optional(),
  chunks: z
    .union([z.int().min(1).max(CHUNKS_MAX), z.literal('auto')], { error: `expected a number of chunks from 1 to ${CHUNKS_MAX}, or auto` })
    .optional()
    .describe(
      'Split a table read into this many key ranges (Postgres: ctid page ranges for tables without a NOT NULL key), read in parallel and committed one by one, so a killed run resumes from the completed chunks. auto (default): 1 below 1,000,000 estimated rows, then one chunk per 500,000 rows up to 32. 1 reads in one piece. Files destinations (no chunk commits): an explicit count > 1 reads the ranges `parallelism` at a time and writes them into the one file in order, not resumable; auto reads a files stream in one piece.',
    ),
  parallelism: z
    .int()
    .min(1)
    .max(64)
    .optional()
    .describe("Chunks of one stream read at once, each on its own source and destination connection (files destinations: ranges read at once into the one file). Default: the machine's CPU count, at least 2, at most defaults.threads."),
  strict_types: z
    .boolean()
    .optional()
    .describe('true refuses the stream, before anything is written, when the destination would only map a column to another type (docs/fidelity.md); `ferry run --strict-types` sets it for every stream. Default false.'),
} as const;

export const streamSettingsSchema = z
  .strictObject(streamSettingsShape)
  .describe('Stream settings applied to every stream of this sync; a stream overrides them key by key.');

const streamOnlyShape = {
  sql: z.string().min(1).optional().describe('A SQL query to read instead of a table; the stream key names it. Not with `path`.'),
  path: z
    .string()
    .min(1)
    .optional()
    .describe('For file sources: a file or glob relative to the connection folder, e.g. `exports/*.csv`. Not with `sql`.'),
  enabled: z.boolean().default(true).describe('false leaves this stream out, e.g. a table that a wildcard matched.'),
  filters: filtersSchema,
  watermarks: watermarksSchema,
  hooks: hooksSchema,
} as const;

/** A stream given as `name: {settings}` in the `streams` map. */
export const streamEntrySchema = z
  .strictObject({ ...streamSettingsShape, ...streamOnlyShape })
  .describe('Settings of one stream; empty or {} means the sync defaults.');

/** A stream given as an item of the `streams` list. */
export const namedStreamEntrySchema = z
  .strictObject({
    name: z.string().min(1).describe('Table (`public.orders`), wildcard (`public.*`, `*`), or a free name with `sql` or `path`.'),
    ...streamSettingsShape,
    ...streamOnlyShape,
  })
  .describe('One stream: its name and settings.');

export const streamsSchema = z
  .union(
    [
      z
        .record(z.string(), streamEntrySchema.nullable())
        .describe('Stream name -> settings. Names are tables (`public.orders`), wildcards (`public.*`, `*`), or free names with `sql`/`path`.'),
      z.array(namedStreamEntrySchema).describe('Streams as a list of {name, ...settings}.'),
    ],
    { error: 'expected a map of stream name to settings, or a list of streams with a name each' },
  )
  .describe('The streams this sync copies: a map of name -> settings, or a list of {name, ...}. Explicit entries override what a wildcard matched.');

/** `syncs/<name>.yml`: one sync, named after its file. */
export const syncFileSchema = z
  .strictObject({
    description: z.string().optional().describe('Free text shown by `ferry status`.'),
    source: z.string().min(1).describe('Connection (from ferry.yml) to read from.'),
    destination: z.string().min(1).describe('Connection (from ferry.yml) to write to.'),
    tags: z.array(z.string().min(1)).default([]).describe('Labels to select syncs by: `ferry run --select tag:daily`.'),
    schedule: z.string().min(1).optional().describe('Cron expression, e.g. "0 * * * *". Stored for now; `ferry serve` will run it.'),
    defaults: streamSettingsSchema.default({}),
    cdc: cdcSettingsSchema.optional(),
    streams: streamsSchema,
    watermarks: watermarksSchema,
    hooks: hooksSchema,
  })
  .describe('A Ferry sync: copies streams from a source connection to a destination connection.');

const STATE_URL = /^(sqlite:.+|postgres(ql)?:\/\/.+)$/;

/** A connection: `type` plus settings that the connector's own schema validates. */
export const connectionEntrySchema = z
  .looseObject({
    type: z.string().min(1).describe('Connector type, e.g. postgres, sqlite, duckdb, files. The other keys depend on it.'),
  })
  .describe('A named endpoint: `type` plus connector settings. Use ${VAR} for secrets.');

export const projectDefaultsSchema = z
  .strictObject({
    threads: z.int().min(1).max(64).default(DEFAULT_THREADS).describe('Streams of one sync copied concurrently, 1 to 64 (default 4).'),
    batch_size: batchSize('Rows per batch on the data path (default 10000).').default(DEFAULT_BATCH_SIZE),
  })
  .prefault({})
  .describe('Defaults for every sync of the project.');

/** `ferry.yml`. */
export const projectFileSchema = z
  .strictObject({
    name: z.string().min(1).optional().describe('Project name. Default: the folder name.'),
    state: z
      .string()
      .regex(STATE_URL, { error: 'expected sqlite:<path> or postgres://user@host/db' })
      .default(DEFAULT_STATE)
      .describe('State store (runs, checkpoints, logs): sqlite:<path relative to the project> (default sqlite:.ferry/state.db) or postgres://user:pass@host/db.'),
    defaults: projectDefaultsSchema,
    connections: z
      .record(z.string().min(1), connectionEntrySchema)
      .default({})
      .describe('Connections by name; syncs refer to them as source and destination.'),
  })
  .describe('A Ferry project: state store, defaults and connections.');

export type ProjectFile = z.output<typeof projectFileSchema>;
export type SyncFile = z.output<typeof syncFileSchema>;
export type StreamEntry = z.output<typeof streamEntrySchema>;
