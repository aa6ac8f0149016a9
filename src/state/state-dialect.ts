import { sql, type ColumnDefinitionBuilder, type RawBuilder } from 'kysely';

/**
 * What differs between the databases the state store runs on, as a few
 * capabilities. Everything else is the same Kysely query for both.
 */
export interface StateDialect {
  readonly name: 'sqlite' | 'postgres';
  /** Current time from the database clock, as ISO 8601 UTC text with milliseconds. */
  now(): RawBuilder<string>;
  /** The database clock `ms` milliseconds ago, same format as `now()`. */
  ago(ms: number): RawBuilder<string>;
  /** Opens a transaction; SQLite takes the write lock up front so read-then-write cannot race. */
  readonly beginWrite: string;
  /**
   * Serializes transactions that pass the same key, until commit. Undefined when
   * `beginWrite` already serializes every writer (SQLite).
   */
  serialize?(key: string): RawBuilder<unknown>;
  /** Integer type and modifiers of a generated, increasing primary key. */
  readonly autoIdType: 'integer' | 'bigint';
  autoId(column: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /** Postgres schema holding the tables (created by migrate), when not the default. */
  readonly schema?: string;
}

const ISO_MS = '%Y-%m-%dT%H:%M:%fZ';

export const SQLITE_STATE_DIALECT: StateDialect = Object.freeze({
  name: 'sqlite',
  now: () => sql<string>`strftime(${ISO_MS}, 'now')`,
  ago: (ms: number) => sql<string>`strftime(${ISO_MS}, 'now', ${`-${ms / 1000} seconds`})`,
  beginWrite: 'begin immediate',
  autoIdType: 'integer',
  autoId: (column: ColumnDefinitionBuilder) => column.primaryKey().autoIncrement(),
});

const PG_ISO_MS = 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"';

/** Postgres, optionally with the tables in `schema` (reached through the connection's search_path). */
export function postgresStateDialect(schema?: string): StateDialect {
  return Object.freeze({
    name: 'postgres',
    now: () => sql<string>`to_char(clock_timestamp() at time zone 'UTC', ${PG_ISO_MS})`,
    ago: (ms: number) =>
      sql<string>`to_char((clock_timestamp() - ${ms}::double precision * interval '1 millisecond') at time zone 'UTC', ${PG_ISO_MS})`,
    beginWrite: 'begin',
    serialize: (key: string) => sql`select pg_advisory_xact_lock(hashtext(${key}))`,
    autoIdType: 'bigint',
    autoId: (column: ColumnDefinitionBuilder) => column.generatedByDefaultAsIdentity().primaryKey(),
    ...(schema === undefined ? {} : { schema }),
  } as const);
}
