import { DuckDBDataChunk, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { CDC_COLUMNS, type ChangeApplier, type ChangeApplyOptions, type ChangeTarget, type TableChanges } from '../../core/change-capture.js';
import type { Checkpoint } from '../../core/checkpoint.js';
import { cdcColumns } from '../../core/ferry-columns.js';
import { DataError, FerryError, SchemaChangeError } from '../../core/errors.js';
import type { Column, TableRef, Value } from '../../core/schema.js';
import { changeRuns, type ChangeRun } from '../change-runs.js';
import { saveCheckpoint } from './checkpoint-table.js';
import { addColumnSql } from './publish-statements.js';
import { quoteIdentifier, quoteList, tableSql } from './sql-identifier.js';
import { valueWriterFor } from './write-value.js';

const CHUNK_ROWS = 2048;
const LSN = '_ferry_lsn_of_change';

/**
 * Applies captured changes to DuckDB tables. Each run of changes is first
 * appended to a staging table shaped like the target (DuckDB's appender, the
 * bulk path); then one transaction applies every run set-based (UPDATE ...
 * FROM, INSERT ... WHERE NOT EXISTS, DELETE ... USING) and stores the
 * checkpoints. Staging tables are scratch: a crash leaves only them behind,
 * and the next apply replaces them.
 */
export class DuckdbChangeApplier implements ChangeApplier {
  readonly #conn: DuckDBConnection;
  readonly #schema: string;
  readonly #options: ChangeApplyOptions;
  readonly #serialize: <T>(work: () => Promise<T>) => Promise<T>;

  constructor(conn: DuckDBConnection, schema: string, options: ChangeApplyOptions, serialize: <T>(work: () => Promise<T>) => Promise<T>) {
    this.#conn = conn;
    this.#schema = schema;
    this.#options = options;
    this.#serialize = serialize;
  }

  apply(tables: readonly TableChanges[], checkpoints: readonly Checkpoint[]): Promise<number> {
    return this.#serialize(async () => {
      for (const table of tables) await this.#ensureColumns(table);
      const planned: { target: ChangeTarget; run: ChangeRun; staging?: TableRef }[] = [];
      for (const table of tables) {
        for (const run of changeRuns(table)) planned.push({ target: table.target, run, ...(run.op === 'truncate' ? {} : { staging: await this.#stage(table.target, run, planned.length) }) });
      }
      let rows = 0;
      await this.#conn.run('BEGIN TRANSACTION');
      try {
        for (const { target, run, staging } of planned) rows += await this.#applyRun(target, run, staging);
        for (const checkpoint of checkpoints) await saveCheckpoint(this.#conn, this.#schema, checkpoint);
        await this.#conn.run('COMMIT');
      } catch (error) {
        await this.#conn.run('ROLLBACK').catch(() => undefined);
        throw error instanceof FerryError ? error : new FerryError(`applying changes failed: ${(error as Error).message}`, { sync: this.#options.sync, cause: error });
      }
      for (const { staging } of planned) if (staging) await this.#conn.run(`DROP TABLE IF EXISTS ${tableSql(staging, 'main')}`);
      return rows;
    });
  }

  async close(): Promise<void> {
    this.#conn.closeSync();
  }

  #target(target: ChangeTarget): TableRef {
    return { schema: target.target.schema ?? this.#schema, name: target.target.name };
  }

  /** Append the run's rows (or keys) to a fresh staging table with the target's column types, plus the change LSN. */
  async #stage(target: ChangeTarget, run: Exclude<ChangeRun, { op: 'truncate' }>, index: number): Promise<TableRef> {
    const table = this.#target(target);
    const staging: TableRef = { schema: table.schema ?? this.#schema, name: `_ferry_cdc_stage_${index}` };
    const names = run.op === 'upsert' ? run.columns.map((c) => c.name) : [...target.primaryKey];
    await this.#conn.run(`CREATE OR REPLACE TABLE ${tableSql(staging, 'main')} AS SELECT ${quoteList(names)}, NULL::BIGINT AS ${LSN} FROM ${tableSql(table, 'main')} LIMIT 0`);
    const appender = await this.#conn.createAppender(staging.name, staging.schema);
    try {
      const types = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i));
      const writers = types.map((t) => valueWriterFor(t));
      const rows: { values: readonly Value[]; lsn: bigint }[] = run.op === 'upsert' ? [...run.rows] : run.keys.map((k) => ({ values: k.key, lsn: k.lsn }));
      for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
        const slice = rows.slice(start, start + CHUNK_ROWS);
        const columns: DuckDBValue[][] = names.map((name, j) => slice.map((row) => {
          const value = row.values[j] ?? null;
          try {
            return value === null ? null : (writers[j] ?? ((v: Value) => v as DuckDBValue))(value);
          } catch (error) {
            throw new DataError(`column ${name} of ${target.stream}: ${(error as Error).message}`, { stream: target.stream, cause: error });
          }
        }));
        columns.push(slice.map((row) => row.lsn));
        const chunk = DuckDBDataChunk.create(types, slice.length);
        chunk.setColumns(columns);
        appender.appendDataChunk(chunk);
      }
    } finally {
      appender.closeSync();
    }
    return staging;
  }

  async #applyRun(target: ChangeTarget, run: ChangeRun, staging: TableRef | undefined): Promise<number> {
    const table = tableSql(this.#target(target), 'main');
    const soft = this.#options.deletes === 'soft';
    const deletedAt = quoteIdentifier(CDC_COLUMNS.deletedAt);
    if (run.op === 'truncate' || !staging) {
      return (await this.#conn.run(soft ? `UPDATE ${table} SET ${deletedAt} = now() WHERE ${deletedAt} IS NULL` : `DELETE FROM ${table}`)).rowsChanged;
    }
    const source = tableSql(staging, 'main');
    const match = target.primaryKey.map((k) => `t.${quoteIdentifier(k)} = s.${quoteIdentifier(k)}`).join(' AND ');
    const meta = this.#meta();
    if (run.op === 'delete') {
      if (!soft) return (await this.#conn.run(`DELETE FROM ${table} t USING ${source} s WHERE ${match}`)).rowsChanged;
      const sets = [`${deletedAt} = now()`, ...meta.filter((m) => m.name !== CDC_COLUMNS.deletedAt).map((m) => `${quoteIdentifier(m.name)} = ${m.value}`)];
      return (await this.#conn.run(`UPDATE ${table} t SET ${sets.join(', ')} FROM ${source} s WHERE ${match}`)).rowsChanged;
    }
    const names = run.columns.map((c) => c.name);
    const sets = [...names.filter((n) => !target.primaryKey.includes(n)).map((n) => `${quoteIdentifier(n)} = s.${quoteIdentifier(n)}`), ...meta.map((m) => `${quoteIdentifier(m.name)} = ${m.value}`)];
    if (sets.length > 0) await this.#conn.run(`UPDATE ${table} t SET ${sets.join(', ')} FROM ${source} s WHERE ${match}`);
    const columns = [...names.map(quoteIdentifier), ...meta.map((m) => quoteIdentifier(m.name))].join(', ');
    const values = [...names.map((n) => `s.${quoteIdentifier(n)}`), ...meta.map((m) => m.value)].join(', ');
    await this.#conn.run(`INSERT INTO ${table} (${columns}) SELECT ${values} FROM ${source} s WHERE NOT EXISTS (SELECT 1 FROM ${table} t WHERE ${match})`);
    return run.rows.length;
  }

  #meta(): { name: string; value: string }[] {
    const meta: { name: string; value: string }[] = [];
    if (this.#options.lsnColumn) meta.push({ name: CDC_COLUMNS.lsn, value: `s.${LSN}` });
    if (this.#options.syncedAtColumn) meta.push({ name: CDC_COLUMNS.syncedAt, value: 'now()' });
    if (this.#options.deletes === 'soft') meta.push({ name: CDC_COLUMNS.deletedAt, value: 'NULL::TIMESTAMPTZ' });
    return meta;
  }

  async #ensureColumns(table: TableChanges): Promise<void> {
    const ref = this.#target(table.target);
    const reader = await this.#conn.runAndReadAll(
      'SELECT lower(column_name) FROM duckdb_columns() WHERE database_name = current_database() AND lower(schema_name) = lower($1) AND lower(table_name) = lower($2)',
      [ref.schema ?? this.#schema, ref.name],
    );
    const have = new Set(reader.getRows().map((r) => String(r[0])));
    if (have.size === 0) throw new FerryError(`the target ${tableSql(ref, 'main')} of a cdc stream does not exist`, { stream: table.target.stream, hint: `run: ferry cdc resync <sync> ${table.target.stream}` });
    // The snapshot created Ferry's columns; a target from before that (or changed by hand) gets them here.
    const wanted = new Map<string, Column>(cdcColumns(this.#options).map((c) => [c.name, c]));
    const added: string[] = [];
    for (const change of table.changes) {
      for (const column of change.columns) {
        if (!have.has(column.name.toLowerCase()) && !wanted.has(column.name)) {
          wanted.set(column.name, { ...column, nullable: true });
          added.push(column.name);
        }
      }
    }
    if (added.length > 0 && table.target.schemaChange === 'freeze') {
      throw new SchemaChangeError(`the source added column(s) ${added.map((n) => `"${n}"`).join(', ')} and schema_change is freeze`, { stream: table.target.stream, hint: 'add them to the target table, or set schema_change: evolve' });
    }
    for (const column of wanted.values()) {
      if (have.has(column.name.toLowerCase())) continue;
      for (const sql of addColumnSql(ref, column)) await this.#conn.run(sql);
    }
  }
}
