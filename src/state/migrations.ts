import type { Kysely } from 'kysely';
import type { StateDialect } from './state-dialect.js';
import type { StateTables } from './state-tables.js';
import { inWriteTransaction } from './write-transaction.js';

/**
 * Versioned schema of the state store. A migration is applied once, in order,
 * and recorded in `ferry_migrations`; never edit a released one, append a new
 * version instead. Tables for later features (schedules, users, API keys,
 * audit log, secrets) are created now so the layout stays stable.
 */
export interface StateMigration {
  readonly version: number;
  readonly name: string;
  up(db: Kysely<StateTables>, dialect: StateDialect): Promise<void>;
}

export const STATE_MIGRATIONS: readonly StateMigration[] = Object.freeze([
  { version: 1, name: 'runs, run streams, logs, checkpoints, locks', up: createRunTables },
  { version: 2, name: 'schedules, users, api keys, audit log, secrets', up: createReservedTables },
  { version: 3, name: 'run streams: schema contract report', up: addContractReport },
  { version: 4, name: 'run watermarks and hooks', up: createRunExtraTables },
  { version: 5, name: 'pauses of cdc syncs and streams', up: createPauseTable },
]);

/** The newest schema version this code knows. */
export const LATEST_STATE_VERSION: number = STATE_MIGRATIONS[STATE_MIGRATIONS.length - 1]?.version ?? 0;

const MIGRATION_LOCK_KEY = 'ferry_migrations';

/**
 * Bring the tables up to the newest version. Idempotent; two processes may
 * call it at once: the applied versions are read and extended inside one
 * serialized write transaction (SQLite write lock, Postgres advisory lock).
 * Returns how many migrations it applied.
 * @example await migrateState(db, SQLITE_STATE_DIALECT);
 */
export async function migrateState(db: Kysely<StateTables>, dialect: StateDialect): Promise<number> {
  // Fast path without the write lock, so opening an up-to-date store never waits on a running sync.
  if ((await appliedVersion(db).catch(() => 0)) >= LATEST_STATE_VERSION) return 0;
  return inWriteTransaction(db, dialect, MIGRATION_LOCK_KEY, async (tx) => {
    if (dialect.schema !== undefined) await tx.schema.createSchema(dialect.schema).ifNotExists().execute();
    await tx.schema
      .createTable('ferry_migrations')
      .ifNotExists()
      .addColumn('version', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('applied_at', 'text', (c) => c.notNull())
      .execute();
    const applied = await appliedVersion(tx);
    const pending = STATE_MIGRATIONS.filter((m) => m.version > applied);
    for (const migration of pending) {
      await migration.up(tx, dialect);
      await tx
        .insertInto('ferry_migrations')
        .values({ version: migration.version, name: migration.name, applied_at: dialect.now() })
        .execute();
    }
    return pending.length;
  });
}

async function appliedVersion(db: Kysely<StateTables>): Promise<number> {
  const row = await db.selectFrom('ferry_migrations').select((eb) => eb.fn.max('version').as('version')).executeTakeFirst();
  return Number(row?.version ?? 0);
}

async function createRunTables(db: Kysely<StateTables>): Promise<void> {
  await db.schema
    .createTable('ferry_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sync', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('options', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('error', 'text')
    .addColumn('rows_read', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('rows_written', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('bytes_read', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('ferry_runs_sync_started').on('ferry_runs').columns(['sync', 'started_at']).execute();
  await db.schema.createIndex('ferry_runs_started').on('ferry_runs').column('started_at').execute();

  await db.schema
    .createTable('ferry_run_streams')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('stream', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('write', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('rows_read', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('rows_written', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('bytes_read', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('sql', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('checkpoint_before', 'text')
    .addColumn('checkpoint_after', 'text')
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('ferry_run_streams_pk', ['run_id', 'stream'])
    .execute();

  await db.schema
    .createTable('ferry_run_logs')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('stream', 'text')
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('fields', 'text')
    .addPrimaryKeyConstraint('ferry_run_logs_pk', ['run_id', 'seq'])
    .execute();

  await db.schema
    .createTable('ferry_checkpoints')
    .addColumn('sync', 'text', (c) => c.notNull())
    .addColumn('stream', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('ferry_checkpoints_pk', ['sync', 'stream'])
    .execute();

  await db.schema
    .createTable('ferry_locks')
    .addColumn('sync', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('acquired_at', 'text', (c) => c.notNull())
    .addColumn('heartbeat_at', 'text', (c) => c.notNull())
    .execute();
}

/** What a stream's schema contract discarded and widened (JSON), NULL when it changed nothing. */
async function addContractReport(db: Kysely<StateTables>): Promise<void> {
  await db.schema.alterTable('ferry_run_streams').addColumn('contract', 'text').execute();
}

/** Reserved for the server, scheduler and secret store; unused by the store itself yet. */
async function createReservedTables(db: Kysely<StateTables>, dialect: StateDialect): Promise<void> {
  const schema = db.schema;
  await schema
    .createTable('ferry_schedules')
    .addColumn('sync', 'text', (c) => c.primaryKey())
    .addColumn('cron', 'text', (c) => c.notNull())
    .addColumn('timezone', 'text', (c) => c.notNull().defaultTo('UTC'))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('options', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('next_run_at', 'text')
    .addColumn('last_run_id', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await schema
    .createTable('ferry_users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text')
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('disabled_at', 'text')
    .execute();

  await schema
    .createTable('ferry_api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    // Only a hash of the key is kept; `prefix` lets users recognise a key in listings.
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('expires_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();
  await schema.createIndex('ferry_api_keys_user').on('ferry_api_keys').column('user_id').execute();

  await schema
    .createTable('ferry_audit_log')
    .addColumn('id', dialect.autoIdType, (c) => dialect.autoId(c))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text')
    .addColumn('details', 'text')
    .execute();
  await schema.createIndex('ferry_audit_log_at').on('ferry_audit_log').column('at').execute();

  await schema
    .createTable('ferry_secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    // Encrypted value (iv + auth tag + ciphertext, base64); the key never lives in the database.
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

/** Resolved watermarks and hook results of each run. */
async function createRunExtraTables(db: Kysely<StateTables>): Promise<void> {
  await db.schema
    .createTable('ferry_run_watermarks')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('connection', 'text', (c) => c.notNull())
    .addColumn('sql', 'text', (c) => c.notNull())
    .addColumn('value', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('literal', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('resolved_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('ferry_run_watermarks_pk', ['run_id', 'scope', 'name'])
    .execute();

  await db.schema
    .createTable('ferry_run_hooks')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('stream', 'text')
    .addColumn('sql', 'text', (c) => c.notNull())
    .addColumn('run_on', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('rows_affected', 'bigint')
    .addColumn('output', 'text')
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('ferry_run_hooks_pk', ['run_id', 'seq'])
    .execute();
}

/** `ferry cdc pause`: one row per paused sync (scope '') or stream. */
async function createPauseTable(db: Kysely<StateTables>): Promise<void> {
  await db.schema
    .createTable('ferry_pauses')
    .addColumn('sync', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('paused_at', 'text', (c) => c.notNull())
    .addColumn('paused_by', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addPrimaryKeyConstraint('ferry_pauses_pk', ['sync', 'scope'])
    .execute();
}
