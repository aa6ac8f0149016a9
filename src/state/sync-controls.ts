import type { Kysely, Selectable } from 'kysely';
import type { StateDialect } from './state-dialect.js';
import { counter, jsonText } from './state-rows.js';
import type { AuditEntry, ListAuditOptions, NewAuditEntry, NewPause, PauseRecord } from './sync-controls-records.js';
import type { AuditLogTable, PausesTable, StateTables } from './state-tables.js';

/**
 * Pauses and audit entries over Kysely (SQLite and Postgres alike). A pause
 * of the whole sync is stored with the scope '' (part of the key, so not NULL).
 */

const DEFAULT_AUDIT_LIMIT = 50;

export async function listPauses(db: Kysely<StateTables>, sync: string): Promise<PauseRecord[]> {
  const rows = await db.selectFrom('ferry_pauses').selectAll().where('sync', '=', sync).orderBy('scope').execute();
  return rows.map(pauseFromRow);
}

/** Record a pause; pausing again keeps the first record. True when it was not paused before. */
export async function savePause(db: Kysely<StateTables>, dialect: StateDialect, pause: NewPause): Promise<boolean> {
  const result = await db
    .insertInto('ferry_pauses')
    .values({ sync: pause.sync, scope: pause.stream ?? '', paused_at: dialect.now(), paused_by: pause.pausedBy, reason: pause.reason })
    .onConflict((oc) => oc.columns(['sync', 'scope']).doNothing())
    .executeTakeFirst();
  return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
}

/** Remove pauses of a sync (`streams` undefined: all of them, the sync's own included). Returns the removed records. */
export async function deletePauses(db: Kysely<StateTables>, sync: string, streams?: readonly (string | null)[]): Promise<PauseRecord[]> {
  const scopes = streams?.map((s) => s ?? '');
  if (scopes && scopes.length === 0) return [];
  let select = db.selectFrom('ferry_pauses').selectAll().where('sync', '=', sync);
  let remove = db.deleteFrom('ferry_pauses').where('sync', '=', sync);
  if (scopes) {
    select = select.where('scope', 'in', scopes);
    remove = remove.where('scope', 'in', scopes);
  }
  const rows = await select.orderBy('scope').execute();
  await remove.execute();
  return rows.map(pauseFromRow);
}

export async function appendAudit(db: Kysely<StateTables>, dialect: StateDialect, entry: NewAuditEntry): Promise<void> {
  await db
    .insertInto('ferry_audit_log')
    .values({ at: dialect.now(), actor: entry.actor, action: entry.action, target: entry.target, details: entry.details === null ? null : jsonText(entry.details) })
    .execute();
}

export async function listAudit(db: Kysely<StateTables>, options: ListAuditOptions = {}): Promise<AuditEntry[]> {
  let query = db.selectFrom('ferry_audit_log').selectAll();
  if (options.target !== undefined) query = query.where('target', '=', options.target);
  const rows = await query.orderBy('id', 'desc').limit(options.limit ?? DEFAULT_AUDIT_LIMIT).execute();
  return rows.map(auditFromRow);
}

function pauseFromRow(row: Selectable<PausesTable>): PauseRecord {
  return { sync: row.sync, stream: row.scope === '' ? null : row.scope, pausedAt: row.paused_at, pausedBy: row.paused_by, reason: row.reason };
}

function auditFromRow(row: Selectable<AuditLogTable>): AuditEntry {
  const details: unknown = row.details === null ? null : JSON.parse(row.details);
  return {
    id: counter(row.id),
    at: row.at,
    actor: row.actor,
    action: row.action,
    target: row.target,
    details: typeof details === 'object' && details !== null && !Array.isArray(details) ? (details as Record<string, unknown>) : null,
  };
}
