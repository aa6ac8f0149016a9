import { type DuckDBAppender, DuckDBBlobValue, type DuckDBConnection, DuckDBDataChunk, DuckDBInstance, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { DataError } from '../../core/errors.js';
import type { Column, LogicalKind, Row, Value } from '../../core/schema.js';
import { quoteIdentifier, type StoredColumn } from './parquet-columns.js';
import { FERRY_COLUMNS_KEY } from './parquet-reader.js';
import { fsyncFile, type RowFileWriter } from './text-file-sink.js';
import { rm } from 'node:fs/promises';

/** DuckDB's vector size: the most rows one data chunk holds. */
const CHUNK_ROWS = 2048;

/** How a logical kind is staged in DuckDB (column type and value) and cast for the Parquet file. */
interface Staging {
  readonly stageType: string;
  readonly toDuck: (value: Exclude<Value, null>) => DuckDBValue;
  readonly finalType?: string;
}

const varchar: Staging = { stageType: 'VARCHAR', toDuck: String };
const castTo = (type: string): Staging => ({ ...varchar, finalType: type });

/**
 * Kinds kept as text in Parquet (with their logical kind in the file's
 * key-value metadata): json (DuckDB's JSON cast would reformat the text),
 * timetz (Parquet TIME normalizes to UTC and drops the offset), interval
 * (canonical ISO text), decimals without a precision or above 38 digits.
 */
const STAGING: Readonly<Record<LogicalKind, Staging>> = {
  boolean: { stageType: 'BOOLEAN', toDuck: (v) => v === true },
  int16: { stageType: 'SMALLINT', toDuck: Number },
  int32: { stageType: 'INTEGER', toDuck: Number },
  int64: { stageType: 'BIGINT', toDuck: (v) => BigInt(v as bigint) },
  float32: { stageType: 'FLOAT', toDuck: Number },
  float64: { stageType: 'DOUBLE', toDuck: Number },
  bytes: { stageType: 'BLOB', toDuck: (v) => new DuckDBBlobValue(v as Uint8Array) },
  decimal: varchar,
  string: varchar,
  json: varchar,
  timetz: varchar,
  interval: varchar,
  uuid: castTo('UUID'),
  date: castTo('DATE'),
  time: castTo('TIME'),
  timestamp: castTo('TIMESTAMP'),
  timestamptz: castTo('TIMESTAMPTZ'),
};

function stagingOf(column: Column): Staging {
  const { kind, precision, scale } = column.type;
  if (kind === 'decimal' && precision !== undefined && precision >= 1 && precision <= 38) return castTo(`DECIMAL(${precision},${scale ?? 0})`);
  return STAGING[kind];
}

function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Refuse names DuckDB would rename (it compares identifiers case-insensitively). */
function assertDistinctNames(columns: readonly Column[], path: string): void {
  const seen = new Map<string, string>();
  for (const c of columns) {
    const other = seen.get(c.name.toLowerCase());
    if (other !== undefined) {
      throw new DataError(`columns "${other}" and "${c.name}" differ only by case, which Parquet files written through DuckDB cannot keep apart`, {
        file: path,
        hint: 'rename one of the columns, or write this stream as CSV or JSONL',
      });
    }
    seen.set(c.name.toLowerCase(), c.name);
  }
}

/**
 * Writes a Parquet file through an in-memory DuckDB: rows go through the
 * Appender into a staging table one data chunk (2048 rows, a column at a time)
 * per native call, not one call per value, then `COPY ... (FORMAT parquet, COMPRESSION
 * zstd)` writes the file with proper types and the logical kinds recorded in
 * key-value metadata so the files source restores them exactly.
 */
export class ParquetFileWriter implements RowFileWriter {
  readonly #path: string;
  readonly #columns: readonly Column[];
  readonly #staging: readonly Staging[];
  #instance: DuckDBInstance | undefined;
  #connection: DuckDBConnection | undefined;
  #appender: DuckDBAppender | undefined;
  #types: readonly DuckDBType[] = [];
  #rows = 0;

  private constructor(path: string, columns: readonly Column[]) {
    this.#path = path;
    this.#columns = columns;
    this.#staging = columns.map(stagingOf);
  }

  static async create(path: string, columns: readonly Column[]): Promise<ParquetFileWriter> {
    if (columns.length === 0) throw new DataError('a Parquet file needs at least one column', { file: path });
    assertDistinctNames(columns, path);
    const writer = new ParquetFileWriter(path, columns);
    writer.#instance = await DuckDBInstance.create(':memory:');
    writer.#connection = await writer.#instance.connect();
    const defs = writer.#staging.map((s, i) => `c${i} ${s.stageType}`).join(', ');
    await writer.#connection.run(`CREATE TABLE staged (${defs})`);
    writer.#appender = await writer.#connection.createAppender('staged');
    writer.#types = writer.#staging.map((_, i) => (writer.#appender as DuckDBAppender).columnType(i));
    return writer;
  }

  async write(rows: readonly Row[]): Promise<void> {
    const appender = this.#appender;
    if (!appender) throw new Error('parquet writer is closed');
    for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
      const end = Math.min(start + CHUNK_ROWS, rows.length);
      const chunk = DuckDBDataChunk.create(this.#types, end - start);
      chunk.setColumns(this.#staging.map((_, i) => this.#columnValues(rows, i, start, end)));
      appender.appendDataChunk(chunk);
      this.#rows += end - start;
    }
    appender.flushSync();
  }

  #columnValues(rows: readonly Row[], i: number, start: number, end: number): DuckDBValue[] {
    const toDuck = (this.#staging[i] as Staging).toDuck;
    const values = new Array<DuckDBValue>(end - start);
    for (let r = start; r < end; r++) {
      const value = rows[r]?.[i] ?? null;
      try {
        values[r - start] = value === null ? null : toDuck(value);
      } catch (error) {
        const column = this.#columns[i] as Column;
        throw new DataError(`column "${column.name}" (${column.type.kind}): cannot stage value for Parquet: ${(error as Error).message}`, { file: this.#path, cause: error });
      }
    }
    return values;
  }

  #copySql(): string {
    const list = this.#columns.map((c, i) => {
      const cast = (this.#staging[i] as Staging).finalType;
      return `${cast ? `CAST(c${i} AS ${cast})` : `c${i}`} AS ${quoteIdentifier(c.name)}`;
    });
    const stored: StoredColumn[] = this.#columns.map((c) => ({ name: c.name, kind: c.type.kind, ...(c.type.precision !== undefined ? { precision: c.type.precision, scale: c.type.scale ?? 0 } : {}) }));
    const meta = `KV_METADATA {${sqlString(FERRY_COLUMNS_KEY)}: ${sqlString(JSON.stringify(stored))}}`;
    return `COPY (SELECT ${list.join(', ')} FROM staged) TO ${sqlString(this.#path)} (FORMAT parquet, COMPRESSION zstd, ${meta})`;
  }

  async finish(): Promise<void> {
    const connection = this.#connection;
    if (!connection || !this.#appender) throw new Error('parquet writer is closed');
    this.#appender.closeSync();
    this.#appender = undefined;
    try {
      const result = await connection.run(this.#copySql());
      if (result.rowsChanged !== this.#rows) {
        throw new DataError(`Parquet file has ${result.rowsChanged} rows, ${this.#rows} were written`, { file: this.#path });
      }
    } catch (error) {
      if (error instanceof DataError) throw error;
      throw new DataError(`cannot write Parquet: ${(error as Error).message.split('\n')[0]}`, {
        file: this.#path,
        hint: 'a value does not convert to its Parquet type (see cause)',
        cause: error,
      });
    } finally {
      this.#close();
    }
    await fsyncFile(this.#path);
  }

  #close(): void {
    try {
      this.#appender?.closeSync();
    } catch {
      // Closing flushes; after a failed append there is nothing worth keeping.
    }
    this.#appender = undefined;
    this.#connection?.closeSync();
    this.#connection = undefined;
    this.#instance?.closeSync();
    this.#instance = undefined;
  }

  async discard(): Promise<void> {
    this.#close();
    await rm(this.#path, { force: true });
  }
}
