import type { Destination, Source } from '../core/connector.js';
import { ConfigError, FerryError, describeError, redact } from '../core/errors.js';
import type { LogicalType, Value } from '../core/schema.js';
import type { SqlExecutor } from '../core/sql-result.js';
import { encodeValue, parseUserValue } from '../core/values.js';
import type { Project, StreamConfig, SyncConfig, WatermarkConfig } from '../config/project.js';
import { findPlaceholders, substitutePlaceholders } from '../config/sql-placeholders.js';
import { matchesPattern } from '../config/stream-pattern.js';
import type { ConnectorRegistry } from '../connectors/registry.js';
import type { RunWatermarkRecord } from '../state/state-store.js';
import { createDestination, createSource, resolveConnection } from './connections.js';
import type { RunLog } from './run-log.js';

export interface WatermarkOptions {
  readonly project: Project;
  readonly registry: ConnectorRegistry;
  readonly sync: SyncConfig;
  readonly source: Source;
  readonly destination: Destination;
  readonly runId: string;
  readonly log: RunLog;
  /** `--stream` patterns: watermarks of streams left out are not resolved. */
  readonly only?: readonly string[];
}

export interface AppliedWatermarks {
  /** The sync with every `{name}` in `sql`/`where` replaced by its literal. */
  readonly sync: SyncConfig;
  readonly records: readonly RunWatermarkRecord[];
}

interface Resolved {
  readonly record: RunWatermarkRecord;
}

/**
 * Resolve the watermarks the selected streams use and substitute them into
 * their SQL. Each resolver query runs once per run (a stream's own watermark
 * once per stream); its first cell, typed by the query's column, becomes a
 * literal of the source's dialect (`Source.literal`: quoted and cast, never
 * raw text), so a value can never change the statement's shape.
 */
export async function applyWatermarks(options: WatermarkOptions): Promise<AppliedWatermarks> {
  const { sync } = options;
  const streams = sync.streams.filter((s) => s.enabled && selected(s, options.only));
  const usesAny = [sync.defaults.where, ...streams.flatMap((s) => [s.sql, s.where])].some((sql) => sql !== undefined && findPlaceholders(sql).length > 0);
  if (!usesAny) return { sync, records: [] };
  const resolver = new WatermarkResolver(options);
  try {
    const defaultsWhere = await resolver.substitute(sync.defaults.where, null, undefined);
    const resolvedStreams: StreamConfig[] = [];
    for (const stream of sync.streams) {
      if (!streams.includes(stream)) {
        resolvedStreams.push(stream);
        continue;
      }
      const sql = await resolver.substitute(stream.sql, stream, stream);
      const where = await resolver.substitute(stream.where, stream, stream);
      resolvedStreams.push({ ...stream, ...(sql !== undefined ? { sql } : {}), ...(where !== undefined ? { where } : {}) });
    }
    const defaults = defaultsWhere === undefined ? sync.defaults : { ...sync.defaults, where: defaultsWhere };
    return { sync: { ...sync, defaults, streams: resolvedStreams }, records: resolver.records() };
  } finally {
    await resolver.close();
  }
}

function selected(stream: StreamConfig, only: readonly string[] | undefined): boolean {
  if (!only || only.length === 0 || /[*?]/.test(stream.name)) return true;
  return only.some((p) => matchesPattern(p, stream.name));
}

/** Resolves each (scope, name) once and renders it for the source. */
class WatermarkResolver {
  readonly #options: WatermarkOptions;
  readonly #resolved = new Map<string, Resolved>();
  /** Connections opened just to resolve watermarks (one open per connection, shared by concurrent lookups). */
  readonly #opened = new Map<string, Promise<{ executor: SqlExecutor; close(): Promise<void> }>>();

  constructor(options: WatermarkOptions) {
    this.#options = options;
  }

  /** `sql` with its placeholders replaced; `stream` scopes the stream's own watermarks (null: the sync's only). */
  async substitute(sql: string | undefined, stream: StreamConfig | null, at: StreamConfig | undefined): Promise<string | undefined> {
    if (sql === undefined) return undefined;
    const literals = new Map<string, string>();
    for (const { name } of findPlaceholders(sql)) {
      if (literals.has(name)) continue;
      const own = stream?.watermarks?.find((w) => w.name === name);
      const config = own ?? this.#options.sync.watermarks?.find((w) => w.name === name);
      if (!config) {
        // The loader reports these with their location; this guards configs built in code.
        throw new ConfigError(`unknown watermark {${name}}`, { ...(at?.location ?? this.#options.sync.location), stream: at?.name });
      }
      literals.set(name, (await this.#resolve(config, own ? (stream as StreamConfig).name : null)).record.literal);
    }
    return substitutePlaceholders(sql, (name) => literals.get(name) ?? `{${name}}`);
  }

  records(): RunWatermarkRecord[] {
    return [...this.#resolved.values()].map((r) => r.record);
  }

  async close(): Promise<void> {
    for (const opened of this.#opened.values()) await opened.then((o) => o.close()).catch(() => undefined);
  }

  async #resolve(config: WatermarkConfig, scope: string | null): Promise<Resolved> {
    const key = `${scope ?? ''}\u0000${config.name}`;
    const known = this.#resolved.get(key);
    if (known) return known;
    const { source, log } = this.#options;
    if (!source.literal) {
      throw new ConfigError(`watermark {${config.name}}: the source connection "${this.#options.sync.source}" does not take SQL, so nothing can be substituted`, { ...config.location });
    }
    const connection = config.connection ?? this.#options.sync.destination;
    const { value, type, origin, error } = await this.#query(config, connection);
    const literal = source.literal(value, type);
    const record: RunWatermarkRecord = {
      runId: this.#options.runId,
      stream: scope,
      name: config.name,
      connection,
      sql: config.sql,
      value: encodeValue(value),
      kind: type.kind,
      origin,
      literal,
      error,
      resolvedAt: new Date().toISOString(),
    };
    log.write(error ? 'warn' : 'info', scope, `watermark {${config.name}} = ${record.value ?? 'NULL'} (${origin === 'query' ? `query on ${connection}` : `default${error ? `; the query failed: ${error}` : ': the query returned no value'}`})`);
    const resolved = { record };
    this.#resolved.set(key, resolved);
    return resolved;
  }

  async #query(config: WatermarkConfig, connection: string): Promise<{ value: Value; type: LogicalType; origin: 'query' | 'default'; error: string | null }> {
    let cell: Value = null;
    let type: LogicalType = { kind: 'string' };
    try {
      const result = await (await this.#executor(connection)).execute(config.sql, { maxRows: 1 });
      cell = result.rows[0]?.[0] ?? null;
      type = result.columns[0]?.type ?? type;
    } catch (caught) {
      if (caught instanceof ConfigError) throw caught;
      const message = redact(describeError(caught));
      if (config.default === undefined) {
        throw new FerryError(`watermark {${config.name}}: the resolver query on "${connection}" failed: ${message}`, {
          ...config.location,
          hint: 'fix the query, or give the watermark a `default` for runs where it cannot answer (e.g. before the first load)',
          cause: caught,
        });
      }
      return { value: parseDefault(config, type), type, origin: 'default', error: message };
    }
    if (cell !== null) return { value: cell, type, origin: 'query', error: null };
    if (config.default === undefined) {
      throw new FerryError(`watermark {${config.name}}: the resolver query on "${connection}" returned no row or NULL and the watermark has no default`, {
        ...config.location,
        hint: 'add `default:` (e.g. "1970-01-01") for the first run',
      });
    }
    return { value: parseDefault(config, type), type, origin: 'default', error: null };
  }

  async #executor(connection: string): Promise<SqlExecutor> {
    const { source, destination, sync } = this.#options;
    const own = connection === sync.destination ? destination : connection === sync.source ? source : undefined;
    if (own) return executorOf(own, connection);
    let opened = this.#opened.get(connection);
    if (!opened) {
      opened = this.#open(connection);
      this.#opened.set(connection, opened);
    }
    return (await opened).executor;
  }

  async #open(connection: string): Promise<{ executor: SqlExecutor; close(): Promise<void> }> {
    const { project, registry, log } = this.#options;
    const resolved = resolveConnection(project, registry, connection, log.forStream(null));
    const endpoint = resolved.definition.createDestination ? await createDestination(resolved) : await createSource(resolved);
    return { executor: executorOf(endpoint, connection), close: () => endpoint.close() };
  }
}

function executorOf(endpoint: Source | Destination, connection: string): SqlExecutor {
  const execute = endpoint.execute?.bind(endpoint);
  if (!execute) throw new ConfigError(`connection "${connection}" cannot run SQL, so it cannot resolve watermarks`, { connection });
  return { execute };
}

/** The default as a value of the query column's type (text when the type is unknown). */
function parseDefault(config: WatermarkConfig, type: LogicalType): Value {
  const text = config.default ?? '';
  try {
    return type.kind === 'string' ? text : parseUserValue(type, text);
  } catch (error) {
    throw new ConfigError(`watermark {${config.name}}: default "${text}" is not a valid ${type.kind} (the type of the query's column)`, { ...config.location, cause: error });
  }
}
