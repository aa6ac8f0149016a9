import { CDC_COLUMNS, type ChangeApplier, type ChangeApplyOptions, type ChangeTarget, type TableChanges } from '../../core/change-capture.js';
import type { Checkpoint } from '../../core/checkpoint.js';
import { cdcColumns, nowTimestamptz } from '../../core/ferry-columns.js';
import { SchemaChangeError } from '../../core/errors.js';
import type { Column, Value } from '../../core/schema.js';
import { changeRuns, type ChangeRun } from '../change-runs.js';
import { valueBinderFor, type SqliteParameter } from './bind-value.js';
import { saveCheckpoint } from './checkpoint-table.js';
import { wrapSqliteError } from './database.js';
import { quoteIdentifier } from './sql-identifier.js';
import { declaredTypeOf } from './type-map.js';
import type { WriteConnection } from './write-connection.js';

/**
 * Applies captured changes to SQLite tables: every `apply` is one IMMEDIATE
 * transaction with the changes of all tables and the checkpoints. Rows go
 * through prepared statements (SQLite's fast path; there is no round trip):
 * an UPDATE of the columns present, then an INSERT when no row had the key.
 */
export class SqliteChangeApplier implements ChangeApplier {
  readonly #connection: WriteConnection;
  readonly #options: ChangeApplyOptions;
  readonly #connectionName: string;
  readonly #columns = new Map<string, Set<string>>();

  constructor(connection: WriteConnection, options: ChangeApplyOptions, connectionName: string) {
    this.#connection = connection;
    this.#options = options;
    this.#connectionName = connectionName;
  }

  async apply(tables: readonly TableChanges[], checkpoints: readonly Checkpoint[]): Promise<number> {
    const syncedAt = nowTimestamptz();
    try {
      return this.#connection.publish(() => {
        let rows = 0;
        for (const table of tables) {
          this.#ensureColumns(table);
          for (const run of changeRuns(table)) rows += this.#applyRun(table.target, run, syncedAt);
        }
        for (const checkpoint of checkpoints) saveCheckpoint(this.#connection.db, checkpoint);
        return rows;
      });
    } catch (error) {
      this.#columns.clear();
      throw wrapSqliteError(error, 'applying changes failed', { connection: this.#connectionName });
    }
  }

  async close(): Promise<void> {
    // The connection belongs to the destination, which closes it.
  }

  #applyRun(target: ChangeTarget, run: ChangeRun, syncedAt: string): number {
    const db = this.#connection.db;
    const table = quoteIdentifier(target.target.name);
    const soft = this.#options.deletes === 'soft';
    const deletedAt = quoteIdentifier(CDC_COLUMNS.deletedAt);
    if (run.op === 'truncate') {
      return db.prepare(soft ? `UPDATE ${table} SET ${deletedAt} = ? WHERE ${deletedAt} IS NULL` : `DELETE FROM ${table}`).run(...(soft ? [syncedAt] : [])).changes;
    }
    const where = target.primaryKey.map((k) => `${quoteIdentifier(k)} IS ?`).join(' AND ');
    if (run.op === 'delete') {
      const meta = this.#meta(syncedAt).filter((m) => m.name !== CDC_COLUMNS.deletedAt);
      const sets = [`${deletedAt} = ?`, ...meta.map((m) => `${quoteIdentifier(m.name)} = ?`)].join(', ');
      const statement = db.prepare(soft ? `UPDATE ${table} SET ${sets} WHERE ${where}` : `DELETE FROM ${table} WHERE ${where}`);
      let n = 0;
      for (const { key, lsn } of run.keys) {
        const keyParams = key.map((v) => keyParam(v));
        n += statement.run(...(soft ? [syncedAt, ...meta.map((m) => m.value(lsn))] : []), ...keyParams).changes;
      }
      return n;
    }
    return this.#upsert(target, table, where, run.columns, run.rows, syncedAt);
  }

  #upsert(target: ChangeTarget, table: string, where: string, columns: readonly Column[], rows: readonly { values: readonly Value[]; lsn: bigint }[], syncedAt: string): number {
    const db = this.#connection.db;
    const meta = this.#meta(syncedAt);
    const names = [...columns.map((c) => c.name), ...meta.map((m) => m.name)];
    const setNames = names.filter((n) => !target.primaryKey.includes(n));
    const update = setNames.length > 0 ? db.prepare(`UPDATE ${table} SET ${setNames.map((n) => `${quoteIdentifier(n)} = ?`).join(', ')} WHERE ${where}`) : undefined;
    const exists = db.prepare(`SELECT 1 FROM ${table} WHERE ${where}`);
    const insert = db.prepare(`INSERT INTO ${table} (${names.map(quoteIdentifier).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`);
    const binders = columns.map((c) => valueBinderFor(c.type));
    const keyIndex = target.primaryKey.map((k) => columns.findIndex((c) => c.name === k));
    for (const { values, lsn } of rows) {
      const bound: SqliteParameter[] = [...values.map((v, i) => bindOrThrow(binders[i], v, columns[i], target)), ...meta.map((m) => m.value(lsn))];
      const key = keyIndex.map((i) => bound[i] ?? null);
      const byName = new Map(names.map((n, i) => [n, bound[i] ?? null]));
      const changed = update ? update.run(...setNames.map((n) => byName.get(n) ?? null), ...key).changes : exists.get(...key) ? 1 : 0;
      if (changed === 0) insert.run(...bound);
    }
    return rows.length;
  }

  #meta(syncedAt: string): { name: string; value: (lsn: bigint) => SqliteParameter }[] {
    const meta: { name: string; value: (lsn: bigint) => SqliteParameter }[] = [];
    if (this.#options.lsnColumn) meta.push({ name: CDC_COLUMNS.lsn, value: (lsn) => lsn });
    if (this.#options.syncedAtColumn) meta.push({ name: CDC_COLUMNS.syncedAt, value: () => syncedAt });
    if (this.#options.deletes === 'soft') meta.push({ name: CDC_COLUMNS.deletedAt, value: () => null });
    return meta;
  }

  /** Add metadata columns and, when the policy allows, columns the source added. */
  #ensureColumns(table: TableChanges): void {
    const db = this.#connection.db;
    const name = table.target.target.name;
    let have = this.#columns.get(name);
    if (!have) {
      const names = db.prepare('SELECT name FROM pragma_table_xinfo(?)').pluck().all(name) as string[];
      if (names.length === 0) throw new SchemaChangeError(`the target ${name} of a cdc stream does not exist`, { stream: table.target.stream, hint: `run: ferry cdc resync <sync> ${table.target.stream}` });
      have = new Set(names.map((n) => n.toLowerCase()));
      this.#columns.set(name, have);
    }
    // The snapshot created Ferry's columns; a target from before that (or changed by hand) gets them here.
    const wanted = new Map<string, string>(cdcColumns(this.#options).map((c) => [c.name, declaredTypeOf(c)]));
    const added: string[] = [];
    for (const change of table.changes) {
      for (const column of change.columns) {
        if (!have.has(column.name.toLowerCase()) && !wanted.has(column.name)) {
          wanted.set(column.name, declaredTypeOf(column));
          added.push(column.name);
        }
      }
    }
    if (added.length > 0 && table.target.schemaChange === 'freeze') {
      throw new SchemaChangeError(`the source added column(s) ${added.map((n) => `"${n}"`).join(', ')} and schema_change is freeze`, { stream: table.target.stream, hint: 'add them to the target table, or set schema_change: evolve' });
    }
    for (const [column, type] of wanted) {
      if (have.has(column.toLowerCase())) continue;
      db.exec(`ALTER TABLE ${quoteIdentifier(name)} ADD COLUMN ${quoteIdentifier(column)} ${type}`);
      have.add(column.toLowerCase());
    }
  }
}

function bindOrThrow(binder: ((v: Value) => SqliteParameter) | undefined, value: Value, column: Column | undefined, target: ChangeTarget): SqliteParameter {
  try {
    return binder ? binder(value) : (value as SqliteParameter);
  } catch (error) {
    throw new SchemaChangeError(`column ${column?.name ?? '?'} of ${target.stream}: ${error instanceof Error ? error.message : String(error)}`, { stream: target.stream, cause: error });
  }
}

/** Keys compare as stored: the same binding the row got. */
function keyParam(value: Value): SqliteParameter {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return value;
}
