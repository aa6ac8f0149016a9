import type {
  Destination,
  DestinationCapabilities,
  MetadataColumn,
  MirrorOptions,
  ReadMode,
  ReadTarget,
  SchemaChangePolicy,
  Source,
  WriteMode,
} from '../core/connector.js';
import { ConfigError } from '../core/errors.js';
import { METADATA_COLUMN_NAMES, SOFT_DELETE_COLUMN } from '../core/ferry-columns.js';
import type { RowFilter } from '../core/row-filter.js';
import type { Column, StreamDescriptor, TableRef } from '../core/schema.js';
import type { HookConfig, NullCursorPolicy, ProjectDefaults, StreamConfig, StreamSettings, SyncConfig } from '../config/project.js';
import { expandColumns, matchesPattern } from '../config/stream-pattern.js';
import { defaultParallelism } from './chunk-count.js';
import { collisionError, targetCollision } from './target-collisions.js';
import type { SchemaContract } from '../core/schema-contract.js';
import { resolveFilters } from './stream-filters.js';
import { streamContract } from './stream-contract.js';

/** One stream of a sync, fully resolved: what to read, how, and where it lands. */
export interface PlannedStream {
  readonly name: string;
  readonly read: ReadTarget;
  readonly columns: readonly Column[];
  readonly mode: ReadMode;
  readonly write: WriteMode;
  readonly primaryKey: readonly string[];
  readonly cursor?: string;
  readonly cursorStart?: string;
  readonly nullCursor: NullCursorPolicy;
  readonly target: TableRef;
  readonly where?: string;
  /** Typed row filters applied at the source. */
  readonly filters: readonly RowFilter[];
  /** Statements run on the destination after the stream. */
  readonly hooks: readonly HookConfig[];
  readonly schemaChange: SchemaChangePolicy;
  /** Tables, columns and data types: what the stream may change in its target. */
  readonly contract: SchemaContract;
  readonly batchSize: number;
  /** Requested chunks (`auto`: decided from `estimatedRows`). */
  readonly chunks: number | 'auto';
  /** Chunks read at once. */
  readonly parallelism: number;
  /** Refuse the stream before writing when a column would only be mapped (`strict_types`). */
  readonly strictTypes: boolean;
  /** For `write: mirror`: how rows missing from the source are removed. */
  readonly mirror?: MirrorOptions;
  /** Ferry metadata columns added to every row. */
  readonly metadataColumns: readonly MetadataColumn[];
  readonly estimatedRows?: number;
  /** Where the stream was configured, for errors. */
  readonly location: StreamConfig['location'];
}

export interface PlanOptions {
  readonly sync: SyncConfig;
  readonly defaults: ProjectDefaults;
  readonly source: Source;
  readonly destination: Destination;
  /** `--stream` patterns: only streams matching one of them run. */
  readonly only?: readonly string[];
  /** `--full-refresh`: read everything and replace. */
  readonly fullRefresh: boolean;
}

const WILDCARD = /[*?]/;

/** Expand wildcards, describe each stream and validate its settings against what the source and destination can do. */
export async function planStreams(options: PlanOptions): Promise<PlannedStream[]> {
  const { sync, source } = options;
  let discovered: StreamDescriptor[] | undefined;
  const discover = async (): Promise<StreamDescriptor[]> => (discovered ??= await source.discover());
  const entries = new Map<string, { config: StreamConfig; descriptor?: StreamDescriptor }>();

  for (const config of sync.streams) {
    if (config.sql === undefined && config.path === undefined && WILDCARD.test(config.name)) {
      for (const descriptor of await discover()) {
        if (matchesPattern(config.name, descriptor.name) && !descriptor.name.startsWith('_ferry_')) {
          entries.set(descriptor.name, { config: { ...config, name: descriptor.name }, descriptor });
        }
      }
      continue;
    }
    const existing = entries.get(config.name);
    entries.set(config.name, { config: existing ? mergeStreamConfig(existing.config, config) : config });
  }

  const planned: PlannedStream[] = [];
  for (const [name, entry] of entries) {
    if (!entry.config.enabled) continue;
    if (options.only && options.only.length > 0 && !options.only.some((p) => matchesPattern(p, name))) continue;
    const found = await maybeDiscover(entry, discover);
    const read = readTargetOf(entry.config, entry.descriptor, found);
    // A table found by discovery is described already (as wildcard streams are): no second catalog query.
    const described = entry.descriptor ?? found?.find((d) => d.name === entry.config.name) ?? (await source.describe(read));
    // Queries and file paths are named by their key in the sync file, not by what they read.
    const named = entry.config.sql !== undefined || entry.config.path !== undefined;
    const descriptor = named ? { ...described, name, table: { name } } : described;
    planned.push(planOne(options, entry.config, read, descriptor));
  }
  refuseUnsafeTargets(options.sync, planned, options.destination.capabilities);
  if (planned.length === 0 && !(options.only && options.only.length > 0)) {
    throw new ConfigError(`sync "${sync.name}" selects no stream: its patterns matched none of the source's tables`, {
      file: sync.file,
      hint: discovered ? `tables: ${discovered.slice(0, 20).map((d) => d.name).join(', ')}${discovered.length > 20 ? ', ...' : ''}` : 'check the stream names',
    });
  }
  if (options.only && options.only.length > 0 && planned.length === 0) {
    throw new ConfigError(`no stream of sync "${sync.name}" matches ${options.only.join(', ')}`, {
      file: sync.file,
      hint: `streams: ${[...entries.keys()].join(', ')}`,
    });
  }
  return planned;
}

/**
 * Two streams landing in one table would overwrite each other, and a stream
 * whose target is its own source table (same connection on both sides) would
 * replace the data it reads: both are refused before anything runs.
 */
function refuseUnsafeTargets(sync: SyncConfig, planned: readonly PlannedStream[], capabilities: DestinationCapabilities): void {
  const collision = targetCollision(planned, capabilities);
  if (collision) throw collisionError(collision.first, collision.second, capabilities, collision.second.location);
  for (const stream of planned) {
    const key = tableKey(stream.target);
    if (sync.source === sync.destination && stream.read.kind === 'table' && tableKey(stream.read.table) === key) {
      throw new ConfigError(`stream "${stream.name}" would write into the table it reads (${key})`, {
        ...stream.location,
        stream: stream.name,
        hint: 'source and destination are the same connection: set target or target_schema',
      });
    }
  }
}

function tableKey(ref: TableRef): string {
  return ref.schema === undefined ? ref.name : `${ref.schema}.${ref.name}`;
}

function mergeStreamConfig(base: StreamConfig, override: StreamConfig): StreamConfig {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) if (value !== undefined) merged[key] = value;
  return merged as unknown as StreamConfig;
}

async function maybeDiscover(
  entry: { config: StreamConfig; descriptor?: StreamDescriptor },
  discover: () => Promise<StreamDescriptor[]>,
): Promise<StreamDescriptor[] | undefined> {
  if (entry.descriptor || entry.config.sql !== undefined || entry.config.path !== undefined) return undefined;
  return discover();
}

function readTargetOf(
  config: StreamConfig,
  descriptor: StreamDescriptor | undefined,
  discovered: StreamDescriptor[] | undefined,
): ReadTarget {
  if (config.sql !== undefined) return { kind: 'query', sql: config.sql };
  if (config.path !== undefined) return { kind: 'table', table: { name: config.path } };
  if (descriptor) return { kind: 'table', table: descriptor.table };
  const match = discovered?.find((d) => d.name === config.name);
  if (match) return { kind: 'table', table: match.table };
  return { kind: 'table', table: parseTableName(config.name) };
}

/** `schema.table` -> {schema, name}; `table` -> {name}. */
export function parseTableName(text: string): TableRef {
  const dot = text.indexOf('.');
  return dot < 0 ? { name: text } : { schema: text.slice(0, dot), name: text.slice(dot + 1) };
}

function planOne(options: PlanOptions, stream: StreamConfig, read: ReadTarget, descriptor: StreamDescriptor): PlannedStream {
  const settings = { ...options.sync.defaults, ...definedOnly(stream) };
  const where = { file: stream.location.file, line: stream.location.line, column: stream.location.column, stream: stream.name };
  const names = expandColumns(settings.columns, settings.exclude_columns, descriptor.columns.map((c) => c.name));
  const columns = names.map((n) => descriptor.columns.find((c) => c.name === n)).filter((c): c is Column => c !== undefined);
  const primaryKey = settings.primary_key ?? descriptor.primaryKey;
  const mode: ReadMode = settings.mode ?? 'full_refresh';
  const cursor = settings.cursor;
  let write: WriteMode = settings.write ?? (mode === 'incremental' ? (primaryKey.length > 0 ? 'merge' : 'append') : 'replace');

  if (mode === 'incremental') {
    if (cursor === undefined) throw new ConfigError('mode incremental needs a cursor column', { ...where, key: 'cursor' });
    if (write === 'replace' && !options.fullRefresh) {
      throw new ConfigError('write: replace with mode: incremental would drop every row not read in this run', {
        ...where,
        key: 'write',
        hint: 'use write: merge (with a primary_key) or append',
      });
    }
  }
  // A full refresh of an incremental stream reloads everything, so it replaces the target.
  if (options.fullRefresh && mode === 'incremental') write = 'replace';
  for (const key of [...primaryKey, ...(cursor ? [cursor] : [])]) {
    if (!names.includes(key)) {
      throw new ConfigError(`column "${key}" is used as key or cursor but is not selected or does not exist`, {
        ...where,
        hint: `columns: ${descriptor.columns.map((c) => c.name).join(', ')}`,
      });
    }
  }
  if ((write === 'merge' || write === 'mirror') && primaryKey.length === 0) {
    throw new ConfigError(`write: ${write} needs a primary key and the source declares none`, {
      ...where,
      key: 'primary_key',
      hint: 'set primary_key: [col, ...] on the stream',
    });
  }
  if (!options.destination.capabilities.writes.includes(write)) {
    throw new ConfigError(`the destination cannot ${write}`, {
      ...where,
      key: 'write',
      hint: `supported: ${options.destination.capabilities.writes.join(', ')}${write === 'mirror' ? ' (mirror deletes rows by key, so it needs a table the destination can delete from)' : ''}`,
    });
  }
  const mirror = write === 'mirror' ? mirrorOptions(settings, mode, where) : undefined;
  const metadataColumns = [...new Set(settings.metadata_columns ?? [])];
  refuseReservedColumns(names, mirror, metadataColumns, where);
  return {
    name: stream.name,
    read,
    columns,
    mode,
    write,
    primaryKey,
    ...(cursor !== undefined ? { cursor } : {}),
    ...(settings.cursor_start !== undefined ? { cursorStart: settings.cursor_start } : {}),
    nullCursor: settings.null_cursor ?? 'exclude',
    target: resolveTarget(options, settings.target, settings.target_schema, descriptor),
    ...(settings.where !== undefined ? { where: settings.where } : {}),
    filters: resolveFilters(stream.filters, descriptor.columns, stream.name),
    hooks: stream.hooks ?? [],
    schemaChange: settings.schema_change ?? 'evolve',
    contract: streamContract(definedOnly(stream), options.sync.defaults, where),
    batchSize: settings.batch_size ?? options.defaults.batch_size,
    chunks: settings.chunks ?? 'auto',
    parallelism: settings.parallelism ?? defaultParallelism(options.defaults.threads),
    strictTypes: settings.strict_types ?? false,
    ...(mirror ? { mirror } : {}),
    metadataColumns,
    ...(descriptor.estimatedRows !== undefined ? { estimatedRows: descriptor.estimatedRows } : {}),
    location: stream.location,
  };
}

type Where = { readonly file: string; readonly line: number; readonly column: number; readonly stream: string };

/** Mirror deletes what a full read lacks, so it needs one: an incremental read lacks every unchanged row. */
function mirrorOptions(settings: StreamSettings, mode: ReadMode, where: Where): MirrorOptions {
  if (mode !== 'full_refresh') {
    throw new ConfigError('write: mirror needs mode: full_refresh; an incremental read lacks the unchanged rows and mirror would delete them', {
      ...where,
      key: 'mode',
      hint: 'use write: merge for incremental streams, or mode: full_refresh to mirror',
    });
  }
  return {
    delete: settings.mirror_delete ?? 'hard',
    allowEmpty: settings.mirror_allow_empty ?? false,
    ...(settings.mirror_scope !== undefined ? { scope: settings.mirror_scope } : {}),
    ...(settings.mirror_max_delete_percent !== undefined ? { maxDeletePercent: settings.mirror_max_delete_percent } : {}),
  };
}

/** Ferry's own columns must not collide with the stream's: a value would be overwritten. */
function refuseReservedColumns(names: readonly string[], mirror: MirrorOptions | undefined, metadata: readonly MetadataColumn[], where: Where): void {
  const reserved = [...metadata.map((m) => METADATA_COLUMN_NAMES[m]), ...(mirror?.delete === 'soft' ? [SOFT_DELETE_COLUMN] : [])];
  const clash = reserved.find((name) => names.includes(name));
  if (clash === undefined) return;
  throw new ConfigError(`the stream has a column "${clash}", which Ferry adds itself here`, {
    ...where,
    hint: 'drop it with exclude_columns, or turn off the setting that adds it (metadata_columns, mirror_delete: soft)',
  });
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function resolveTarget(
  options: PlanOptions,
  template: string | undefined,
  targetSchema: string | undefined,
  descriptor: StreamDescriptor,
): TableRef {
  if (template === undefined) return options.destination.defaultTarget(descriptor, targetSchema);
  const text = template
    .replaceAll('{stream_schema}', descriptor.table.schema ?? '')
    .replaceAll('{stream_table}', descriptor.table.name)
    .replaceAll('{stream}', descriptor.name)
    .replaceAll('{target_schema}', targetSchema ?? '');
  if (!options.destination.capabilities.schemas) return { name: text };
  const ref = parseTableName(text);
  return ref.schema === '' ? { name: ref.name } : ref;
}
