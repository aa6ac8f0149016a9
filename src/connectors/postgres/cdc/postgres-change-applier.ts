import type pg from 'pg';
import { CDC_COLUMNS, type ChangeApplier, type ChangeApplyOptions, type ChangeTarget, type TableChanges } from '../../../core/change-capture.js';
import type { Checkpoint } from '../../../core/checkpoint.js';
import type { ConnectorContext } from '../../../core/connector.js';
import { cdcColumns } from '../../../core/ferry-columns.js';
import { FerryError, SchemaChangeError } from '../../../core/errors.js';
import type { Column, Value } from '../../../core/schema.js';
import { changeRuns, type ChangeRun } from '../../change-runs.js';
import { checkpointParams, createCheckpointTableSql, upsertCheckpointSql } from '../checkpoint-table.js';
import { destroyClient, openClient } from '../client.js';
import type { PostgresConfig } from '../config.js';
import { driverError, errorCode } from '../driver-error.js';
import { quoteIdent, quoteTable } from '../identifiers.js';
import { findTarget, hasUniqueKey } from '../target-catalog.js';
import { ddlTypeOfLogical } from '../type-map.js';
import { ChangeStaging, copyRows } from './change-staging.js';

interface TargetShape {
  /** Column name -> Postgres type (format_type), as the target has them now. */
  readonly types: Map<string, string>;
  /** A unique index on exactly the stream's key: `ON CONFLICT` has an arbiter. */
  readonly keyIsUnique: boolean;
}

/**
 * Applies captured changes to Postgres tables on one connection: each call is
 * one transaction holding the changes of every table and the checkpoints, so
 * a crash leaves either all of it or none.
 */
export class PostgresChangeApplier implements ChangeApplier {
  readonly #client: pg.Client;
  readonly #config: PostgresConfig;
  readonly #options: ChangeApplyOptions;
  readonly #shapes = new Map<string, TargetShape>();
  readonly #staging: ChangeStaging;

  private constructor(client: pg.Client, config: PostgresConfig, options: ChangeApplyOptions) {
    this.#client = client;
    this.#staging = new ChangeStaging(client);
    this.#config = config;
    this.#options = options;
  }

  static async open(config: PostgresConfig, ctx: ConnectorContext, options: ChangeApplyOptions): Promise<PostgresChangeApplier> {
    const client = await openClient(config, ctx);
    try {
      await client.query(createCheckpointTableSql(config.schema));
    } catch (error) {
      destroyClient(client);
      throw driverError(error, 'create the checkpoint table', { sync: options.sync });
    }
    return new PostgresChangeApplier(client, config, options);
  }

  async apply(tables: readonly TableChanges[], checkpoints: readonly Checkpoint[]): Promise<number> {
    const client = this.#client;
    let rows = 0;
    await client.query('BEGIN');
    try {
      for (const table of tables) rows += await this.#applyTable(table);
      for (const checkpoint of checkpoints) await client.query(upsertCheckpointSql(this.#config.schema), checkpointParams(checkpoint));
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      // DDL of this transaction is gone too: read the shapes again next time.
      this.#shapes.clear();
      this.#staging.forget();
      throw error instanceof FerryError ? error : driverError(error, 'apply changes', { sync: this.#options.sync });
    }
    return rows;
  }

  async close(): Promise<void> {
    await this.#client.end().catch(() => undefined);
  }

  async #applyTable(table: TableChanges): Promise<number> {
    const shape = await this.#shape(table);
    let rows = 0;
    for (const run of changeRuns(table)) {
      try {
        rows += await this.#applyRun(table.target, shape, run);
      } catch (error) {
        throw driverError(error, `apply ${run.op} changes to ${quoteTable(this.#qualified(table.target))}`, { stream: table.target.stream });
      }
    }
    return rows;
  }

  async #applyRun(target: ChangeTarget, shape: TargetShape, run: ChangeRun): Promise<number> {
    const table = quoteTable(this.#qualified(target));
    const soft = this.#options.deletes === 'soft';
    if (run.op === 'truncate') {
      const sql = soft ? `UPDATE ${table} SET ${quoteIdent(CDC_COLUMNS.deletedAt)} = now() WHERE ${quoteIdent(CDC_COLUMNS.deletedAt)} IS NULL` : `DELETE FROM ${table}`;
      return (await this.#client.query(sql)).rowCount ?? 0;
    }
    // Short runs (interleaved inserts, updates and deletes) go as one statement with
    // array parameters: staging them would cost a TRUNCATE, a COPY and a statement each.
    if (run.op === 'delete' && run.keys.length <= SMALL_RUN) return this.#deleteByParams(table, target, shape, run.keys);
    if (run.op !== 'delete' && run.rows.length <= SMALL_RUN) return this.#upsertByParams(table, target, shape, run.columns, run.rows);
    if (run.op === 'delete') {
      const key = target.primaryKey;
      const rows = run.keys.map((k) => ({ values: k.key, lsn: k.lsn }));
      const stage = await this.#staging.load(key.map((k) => typeOf(shape, k)), { stream: target.stream, names: key, rows });
      const match = keyMatch(key, key);
      const sql = soft
        ? `UPDATE ${table} t SET ${quoteIdent(CDC_COLUMNS.deletedAt)} = now()${this.#metaSet(`s.lsn`)} FROM ${stage} s WHERE ${match}`
        : `DELETE FROM ${table} t USING ${stage} s WHERE ${match}`;
      return (await this.#client.query(sql)).rowCount ?? 0;
    }
    if (run.inserts && shape.keyIsUnique && (await this.#insertDirectly(table, target, run.columns, run.rows))) return run.rows.length;
    return this.#upsert(table, target, shape, run.columns, run.rows);
  }

  /**
   * A run of source INSERTs of distinct keys normally finds none of them in the
   * target (it mirrors the source as of the previous commit): COPY it straight
   * in. The unique index on the key guards this: should a key be there after
   * all (a soft-deleted row, a row written into the target by hand), the COPY
   * fails, is rolled back to its savepoint, and the caller upserts instead.
   */
  async #insertDirectly(table: string, target: ChangeTarget, columns: readonly Column[], rows: readonly { values: readonly Value[]; lsn: bigint }[]): Promise<boolean> {
    const names = columns.map((c) => c.name);
    const meta = this.#metaColumns();
    const now = this.#options.syncedAtColumn ? await this.#transactionNow() : '';
    const tail = (lsn: bigint): string => meta.map((m) => (m.name === CDC_COLUMNS.lsn ? String(lsn) : m.name === CDC_COLUMNS.syncedAt ? now : '\\N')).join('\t');
    const list = [...names, ...meta.map((m) => m.name)].map(quoteIdent).join(', ');
    await this.#client.query('SAVEPOINT ferry_insert');
    try {
      await copyRows(this.#client, `COPY ${table} (${list}) FROM STDIN`, { stream: target.stream, names, rows }, tail);
    } catch (error) {
      if (errorCode(error) !== UNIQUE_VIOLATION) throw error;
      await this.#client.query('ROLLBACK TO SAVEPOINT ferry_insert');
      return false;
    }
    await this.#client.query('RELEASE SAVEPOINT ferry_insert');
    return true;
  }

  /** now() of the open transaction as the session writes it (what `_ferry_synced_at = now()` stores elsewhere). */
  async #transactionNow(): Promise<string> {
    const result = await this.#client.query<{ now: string }>('SELECT now()::text AS now');
    const now = result.rows[0]?.now;
    if (now === undefined) throw new FerryError('SELECT now() returned nothing');
    return now;
  }

  /**
   * Upsert a run (keys unique within it): COPY into a staging table, then one
   * `INSERT ... ON CONFLICT (key) DO UPDATE` of the present columns when the
   * target has a unique index on the key; else `UPDATE ... FROM` the staged
   * rows and `INSERT` the keys still missing.
   */
  async #upsert(table: string, target: ChangeTarget, shape: TargetShape, columns: readonly Column[], rows: readonly { values: readonly Value[]; lsn: bigint }[]): Promise<number> {
    const names = columns.map((c) => c.name);
    const stage = await this.#staging.load(names.map((n) => typeOf(shape, n)), { stream: target.stream, names, rows });
    const meta = this.#metaColumns();
    const staged = (n: string): string => `s.c${names.indexOf(n)}`;
    const insertColumns = [...names, ...meta.map((m) => m.name)].map(quoteIdent).join(', ');
    const insertValues = [...names.map(staged), ...meta.map((m) => m.value)].join(', ');
    const nonKey = names.filter((n) => !target.primaryKey.includes(n));
    if (shape.keyIsUnique) {
      const sets = [...nonKey, ...meta.map((m) => m.name)].map((n) => `${quoteIdent(n)} = EXCLUDED.${quoteIdent(n)}`);
      const action = sets.length > 0 ? `DO UPDATE SET ${sets.join(', ')}` : 'DO NOTHING';
      const conflict = target.primaryKey.map(quoteIdent).join(', ');
      await this.#client.query(`INSERT INTO ${table} (${insertColumns}) SELECT ${insertValues} FROM ${stage} s ON CONFLICT (${conflict}) ${action}`);
      return rows.length;
    }
    const match = keyMatch(target.primaryKey, names);
    const sets = [...nonKey.map((n) => `${quoteIdent(n)} = ${staged(n)}`), ...meta.map((m) => `${quoteIdent(m.name)} = ${m.value}`)];
    if (sets.length > 0) await this.#client.query(`UPDATE ${table} t SET ${sets.join(', ')} FROM ${stage} s WHERE ${match}`);
    await this.#client.query(`INSERT INTO ${table} (${insertColumns}) SELECT ${insertValues} FROM ${stage} s WHERE NOT EXISTS (SELECT 1 FROM ${table} t WHERE ${match})`);
    return rows.length;
  }

  /** Delete (or soft-delete) a short run of keys in one statement: keys as array parameters. */
  async #deleteByParams(table: string, target: ChangeTarget, shape: TargetShape, keys: readonly { key: readonly Value[]; lsn: bigint }[]): Promise<number> {
    const key = target.primaryKey;
    const { sql: values, params } = unnestList(keys.map((k) => [...k.key, k.lsn]), [...key.map((k) => typeOf(shape, k)), 'bigint']);
    const alias = `v(${[...key, '_lsn'].map(quoteIdent).join(', ')})`;
    const match = key.map((k) => `t.${quoteIdent(k)} = v.${quoteIdent(k)}`).join(' AND ');
    const sql =
      this.#options.deletes === 'soft'
        ? `UPDATE ${table} t SET ${quoteIdent(CDC_COLUMNS.deletedAt)} = now()${this.#metaSet('v._lsn')} FROM (${values}) AS ${alias} WHERE ${match}`
        : `DELETE FROM ${table} t USING (${values}) AS ${alias} WHERE ${match}`;
    return (await this.#client.query(sql, params)).rowCount ?? 0;
  }

  /**
   * Upsert a short run (keys unique within it) in one statement, rows as array
   * parameters: update the keys that exist, insert the others (no unique index needed).
   */
  async #upsertByParams(table: string, target: ChangeTarget, shape: TargetShape, columns: readonly Column[], rows: readonly { values: readonly Value[]; lsn: bigint }[]): Promise<number> {
    const names = columns.map((c) => c.name);
    const key = target.primaryKey;
    const { sql: values, params } = unnestList(rows.map((r) => [...r.values, r.lsn]), [...names.map((n) => typeOf(shape, n)), 'bigint']);
    const alias = `v(${[...names, '_lsn'].map(quoteIdent).join(', ')})`;
    const meta = this.#metaColumns().map((m) => (m.name === CDC_COLUMNS.lsn ? { ...m, value: 'v._lsn' } : m));
    const insertColumns = [...names, ...meta.map((m) => m.name)].map(quoteIdent).join(', ');
    const insertValues = [...names.map((n) => `v.${quoteIdent(n)}`), ...meta.map((m) => m.value)].join(', ');
    const sets = [...names.filter((n) => !key.includes(n)).map((n) => `${quoteIdent(n)} = v.${quoteIdent(n)}`), ...meta.map((m) => `${quoteIdent(m.name)} = ${m.value}`)];
    const setList = sets.length > 0 ? sets.join(', ') : key.map((k) => `${quoteIdent(k)} = v.${quoteIdent(k)}`).join(', ');
    const match = key.map((k) => `t.${quoteIdent(k)} = v.${quoteIdent(k)}`).join(' AND ');
    const sql =
      `WITH ${alias} AS (${values}), ` +
      `u AS (UPDATE ${table} t SET ${setList} FROM v WHERE ${match} RETURNING ${key.map((k) => `t.${quoteIdent(k)}`).join(', ')}) ` +
      `INSERT INTO ${table} (${insertColumns}) SELECT ${insertValues} FROM v WHERE NOT EXISTS (SELECT 1 FROM u t WHERE ${match})`;
    await this.#client.query(sql, params);
    return rows.length;
  }

  /** Metadata columns every upsert writes. */
  #metaColumns(): { name: string; value: string }[] {
    const meta: { name: string; value: string }[] = [];
    if (this.#options.lsnColumn) meta.push({ name: CDC_COLUMNS.lsn, value: 's.lsn' });
    if (this.#options.syncedAtColumn) meta.push({ name: CDC_COLUMNS.syncedAt, value: 'now()' });
    if (this.#options.deletes === 'soft') meta.push({ name: CDC_COLUMNS.deletedAt, value: 'NULL::timestamptz' });
    return meta;
  }

  #metaSet(lsn: string): string {
    return `${this.#options.lsnColumn ? `, ${quoteIdent(CDC_COLUMNS.lsn)} = ${lsn}` : ''}${this.#options.syncedAtColumn ? `, ${quoteIdent(CDC_COLUMNS.syncedAt)} = now()` : ''}`;
  }

  /** The target's columns, adding metadata columns and (policy permitting) new source columns. */
  async #shape(table: TableChanges): Promise<TargetShape> {
    const target = table.target;
    let shape = this.#shapes.get(target.stream);
    if (!shape) {
      shape = await this.#readShape(target);
      this.#shapes.set(target.stream, shape);
      // The snapshot created them; a target from before that (or changed by hand) gets them here.
      for (const column of cdcColumns(this.#options)) if (!shape.types.has(column.name)) await this.#addColumn(target, shape, column.name, ddlTypeOfLogical(column.type));
    }
    const added = new Map<string, Column>();
    for (const change of table.changes) for (const column of change.columns) if (!shape.types.has(column.name)) added.set(column.name, column);
    if (added.size === 0) return shape;
    if (target.schemaChange === 'freeze') {
      throw new SchemaChangeError(`the source added column(s) ${[...added.keys()].map((n) => `"${n}"`).join(', ')} and schema_change is freeze`, {
        stream: target.stream,
        hint: 'add them to the target table, or set schema_change: evolve',
      });
    }
    for (const column of added.values()) await this.#addColumn(target, shape, column.name, ddlTypeOfLogical(column.type));
    return shape;
  }

  async #addColumn(target: ChangeTarget, shape: TargetShape, name: string, type: string): Promise<void> {
    await this.#client.query(`ALTER TABLE ${quoteTable(this.#qualified(target))} ADD COLUMN IF NOT EXISTS ${quoteIdent(name)} ${type}`);
    shape.types.set(name, type);
  }

  async #readShape(target: ChangeTarget): Promise<TargetShape> {
    const ref = this.#qualified(target);
    const existing = await findTarget(this.#client, ref);
    if (!existing || existing.columns.length === 0) {
      throw new FerryError(`the target ${quoteTable(ref)} of a cdc stream does not exist`, {
        stream: target.stream,
        hint: `it is created by the snapshot; run: ferry cdc resync ${target.stream}`,
      });
    }
    return { types: new Map(existing.columns.map((c) => [c.name, c.type])), keyIsUnique: hasUniqueKey(existing, target.primaryKey) };
  }

  #qualified(target: ChangeTarget): { schema: string; name: string } {
    return { schema: target.target.schema ?? this.#config.schema, name: target.target.name };
  }
}

/** Runs of at most this many changes are applied with array parameters, longer ones through COPY staging. */
const SMALL_RUN = 64;

/**
 * `SELECT u.c0::t1, ... FROM unnest($1::text[], ...)`: one array parameter per
 * column, so a statement's text and plan do not grow with its rows.
 */
function unnestList(rows: readonly (readonly Value[])[], types: readonly string[]): { sql: string; params: unknown[] } {
  const params = types.map((_, i) => rows.map((row) => toParam(row[i] ?? null)));
  // Text arrays cast per column: array-typed columns (int[]) would not survive `$1::int[][]`.
  const casts = types.map((t, i) => `u.c${i}::${t}`).join(', ');
  return { sql: `SELECT ${casts} FROM unnest(${types.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS u(${types.map((_, i) => `c${i}`).join(', ')})`, params };
}

/** Canonical value -> driver parameter: numbers and bigints as exact text, bytes as a Buffer. */
function toParam(value: Value): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return value.toString();
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** SQLSTATE unique_violation. */
const UNIQUE_VIOLATION = '23505';

function typeOf(shape: TargetShape, name: string): string {
  const type = shape.types.get(name);
  if (type === undefined) throw new FerryError(`column "${name}" is not in the target`);
  return type;
}

/** `t.k = s.cI` for each key column, `I` its position among the staged columns. */
function keyMatch(key: readonly string[], staged: readonly string[]): string {
  return key.map((k) => `t.${quoteIdent(k)} = s.c${staged.indexOf(k)}`).join(' AND ');
}
