import type pg from 'pg';
import { CDC_COLUMNS, type ChangeApplier, type ChangeApplyOptions, type ChangeTarget, type TableChanges } from '../../../core/change-capture.js';
import type { Checkpoint } from '../../../core/checkpoint.js';
import type { ConnectorContext } from '../../../core/connector.js';
import { FerryError, SchemaChangeError } from '../../../core/errors.js';
import type { Column, Value } from '../../../core/schema.js';
import { changeRuns, type ChangeRun } from '../../change-runs.js';
import { checkpointParams, createCheckpointTableSql, upsertCheckpointSql } from '../checkpoint-table.js';
import { destroyClient, openClient } from '../client.js';
import type { PostgresConfig } from '../config.js';
import { driverError } from '../driver-error.js';
import { quoteIdent, quoteTable } from '../identifiers.js';
import { ddlTypeOfLogical } from '../type-map.js';

/** Rows per statement: one array parameter per column, so this only bounds the message size. */
const CHUNK_ROWS = 20_000;

interface TargetShape {
  /** Column name -> Postgres type (format_type), as the target has them now. */
  readonly types: Map<string, string>;
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

  private constructor(client: pg.Client, config: PostgresConfig, options: ChangeApplyOptions) {
    this.#client = client;
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
    const keyTypes = target.primaryKey.map((k) => typeOf(shape, k));
    if (run.op === 'delete') {
      let n = 0;
      for (const chunk of chunks(run.keys)) {
        const { sql: values, params } = unnestList(chunk.map((k) => [...k.key, k.lsn]), [...keyTypes, 'bigint']);
        const alias = `v(${[...target.primaryKey, '_lsn'].map(quoteIdent).join(', ')})`;
        const match = keyMatch(target.primaryKey);
        const sql = soft
          ? `UPDATE ${table} t SET ${quoteIdent(CDC_COLUMNS.deletedAt)} = now()${this.#metaSet('v._lsn')} FROM (${values}) AS ${alias} WHERE ${match}`
          : `DELETE FROM ${table} t USING (${values}) AS ${alias} WHERE ${match}`;
        n += (await this.#client.query(sql, params)).rowCount ?? 0;
      }
      return n;
    }
    return this.#upsert(table, target, shape, run.columns, run.rows);
  }

  async #upsert(table: string, target: ChangeTarget, shape: TargetShape, columns: readonly Column[], rows: readonly { values: readonly Value[]; lsn: bigint }[]): Promise<number> {
    const names = columns.map((c) => c.name);
    const types = [...names.map((n) => typeOf(shape, n)), 'bigint'];
    const alias = `v(${[...names, '_lsn'].map(quoteIdent).join(', ')})`;
    const meta = this.#metaColumns();
    const insertColumns = [...names, ...meta.map((m) => m.name)].map(quoteIdent).join(', ');
    const insertValues = [...names.map((n) => `v.${quoteIdent(n)}`), ...meta.map((m) => m.value)].join(', ');
    const nonKey = names.filter((n) => !target.primaryKey.includes(n));
    const sets = [...nonKey.map((n) => `${quoteIdent(n)} = v.${quoteIdent(n)}`), ...meta.map((m) => `${quoteIdent(m.name)} = ${m.value}`)];
    const setList = sets.length > 0 ? sets.join(', ') : target.primaryKey.map((k) => `${quoteIdent(k)} = v.${quoteIdent(k)}`).join(', ');
    const keyList = target.primaryKey.map((k) => `t.${quoteIdent(k)}`).join(', ');
    let n = 0;
    for (const chunk of chunks(rows)) {
      const { sql: values, params } = unnestList(chunk.map((r) => [...r.values, r.lsn]), types);
      // One statement: update the keys that exist, insert the others.
      const sql =
        `WITH ${alias} AS (${values}), ` +
        `u AS (UPDATE ${table} t SET ${setList} FROM v WHERE ${keyMatch(target.primaryKey)} RETURNING ${keyList}) ` +
        `INSERT INTO ${table} (${insertColumns}) SELECT ${insertValues} FROM v ` +
        `WHERE NOT EXISTS (SELECT 1 FROM u t WHERE ${keyMatch(target.primaryKey)})`;
      await this.#client.query(sql, params);
      n += chunk.length;
    }
    return n;
  }

  /** Metadata columns every upsert writes. */
  #metaColumns(): { name: string; value: string }[] {
    const meta: { name: string; value: string }[] = [];
    if (this.#options.lsnColumn) meta.push({ name: CDC_COLUMNS.lsn, value: 'v._lsn' });
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
      shape = { types: await this.#readTypes(target) };
      this.#shapes.set(target.stream, shape);
      const wanted: [string, string][] = [];
      if (this.#options.lsnColumn) wanted.push([CDC_COLUMNS.lsn, 'bigint']);
      if (this.#options.syncedAtColumn) wanted.push([CDC_COLUMNS.syncedAt, 'timestamptz']);
      if (this.#options.deletes === 'soft') wanted.push([CDC_COLUMNS.deletedAt, 'timestamptz']);
      for (const [name, type] of wanted) if (!shape.types.has(name)) await this.#addColumn(target, shape, name, type);
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

  async #readTypes(target: ChangeTarget): Promise<Map<string, string>> {
    const ref = this.#qualified(target);
    const result = await this.#client.query<{ name: string; type: string }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
       WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [quoteTable(ref)],
    );
    if (result.rows.length === 0) {
      throw new FerryError(`the target ${quoteTable(ref)} of a cdc stream does not exist`, {
        stream: target.stream,
        hint: `it is created by the snapshot; run: ferry cdc resync ${target.stream}`,
      });
    }
    return new Map(result.rows.map((r) => [r.name, r.type]));
  }

  #qualified(target: ChangeTarget): { schema: string; name: string } {
    return { schema: target.target.schema ?? this.#config.schema, name: target.target.name };
  }
}

function typeOf(shape: TargetShape, name: string): string {
  const type = shape.types.get(name);
  if (type === undefined) throw new FerryError(`column "${name}" is not in the target`);
  return type;
}

function keyMatch(key: readonly string[]): string {
  return key.map((k) => `t.${quoteIdent(k)} = v.${quoteIdent(k)}`).join(' AND ');
}

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

function* chunks<T>(items: readonly T[]): Generator<readonly T[]> {
  for (let i = 0; i < items.length; i += CHUNK_ROWS) yield items.slice(i, i + CHUNK_ROWS);
}
