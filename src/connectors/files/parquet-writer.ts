import type { DuckDBAppender, DuckDBConnection, DuckDBInstance, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { DataError } from '../../core/errors.js';
import type { Column, LogicalKind, Row, Value } from '../../core/schema.js';
import { DEFAULT_ZSTD_LEVEL, type ParquetCompression } from './config.js';
import { type CsvPart, CsvPartFiles } from './csv-part-files.js';
import { FERRY_COLUMNS_KEY, quoteIdentifier, type StoredColumn } from './parquet-meta.js';
import { type BinaryPart, PgBinaryParts } from './pg-binary-parts.js';
import { RowGroupFile } from './row-group-file.js';
import type { RowFileWriter } from './text-file-sink.js';
import { rm } from 'node:fs/promises';
import { basename } from 'node:path';

/** DuckDB's vector size: the most rows one data chunk holds. */
const CHUNK_ROWS = 2048;

type DuckDBModule = typeof import('@duckdb/node-api');
/**
 * DuckDB's module, once a writer has loaded it. Writers load it in the
 * background (`create` does not wait for it): about 0.25 s that the first
 * records or rows spend arriving instead.
 */
let duckdb: DuckDBModule | undefined;

/** How a logical kind is staged in DuckDB (column type and value) and cast for the Parquet file. */
interface Staging {
  readonly stageType: string;
  readonly toDuck: (value: Exclude<Value, null>) => DuckDBValue;
  /** The SQL that turns staged column `c` into the Parquet value, when the staged one is not it. */
  readonly final?: (c: string) => string;
}

const varchar: Staging = { stageType: 'VARCHAR', toDuck: String };
const castTo = (type: string): Staging => ({ ...varchar, final: (c) => `CAST(${c} AS ${type})` });
/**
 * DuckDB's date cast ignores text after the date, so canonical `0044-03-15 BC`
 * would land as the AD date; `(BC)` is the era suffix it reads.
 */
const dateStaging: Staging = { ...varchar, final: (c) => `CAST(replace(${c}, ' BC', ' (BC)') AS DATE)` };

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
  bytes: { stageType: 'BLOB', toDuck: (v) => new (duckdb as DuckDBModule).DuckDBBlobValue(v as Uint8Array) },
  decimal: varchar,
  string: varchar,
  json: varchar,
  timetz: varchar,
  interval: varchar,
  uuid: castTo('UUID'),
  date: dateStaging,
  time: castTo('TIME'),
  timestamp: castTo('TIMESTAMP'),
  timestamptz: castTo('TIMESTAMPTZ'),
};

function stagingOf(column: Column): Staging {
  const { kind, precision, scale } = column.type;
  if (kind === 'decimal' && precision !== undefined && precision >= 1 && precision <= 38) return castTo(`DECIMAL(${precision},${scale ?? 0})`);
  return STAGING[kind];
}

/**
 * Kinds that cannot come in as `ferry-csv` text: a float's canonical text parsed
 * by DuckDB is not always the value the decoded path stages (a float32 goes
 * through a JS double there), so float streams stay decoded.
 */
const NOT_FROM_CSV: ReadonlySet<LogicalKind> = new Set<LogicalKind>(['float32', 'float64']);

/**
 * True when raw `ferry-csv` records of these columns convert to exactly the
 * Parquet values the decoded path writes (see `ParquetFileWriter.writeRecords`).
 */
export function parquetTakesFerryCsv(columns: readonly Column[]): boolean {
  return columns.length >= 2 && columns.every((c) => !NOT_FROM_CSV.has(c.type.kind));
}

/**
 * Column `c<i>` of a `ferry-csv` part, read as VARCHAR, as the value the
 * decoded path stages: the canonical text is what `String(value)` gives there,
 * so the same cast of the same text makes the same value; bytes are base64.
 */
function csvExpression(staging: Staging, i: number): string {
  const c = `c${i}`;
  if (staging.final) return staging.final(c);
  if (staging.stageType === 'VARCHAR') return c;
  if (staging.stageType === 'BLOB') return `from_base64(${c})`;
  return `CAST(${c} AS ${staging.stageType})`;
}

/** DuckDB's default `max_line_size` for read_csv. */
const CSV_LINE_BYTES = 2_097_152;

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

/** Rows per part: two of DuckDB's row groups (122,880 rows each), so parts hold whole row groups. */
const PART_ROWS = 2 * 122_880;
/**
 * Records per CSV part: one row group. The stream's end waits for the part in
 * flight and the last one; a smaller part halves that wait, and a part's
 * statement costs milliseconds next to its 0.2 s of conversion.
 */
const RECORD_PART_ROWS = 122_880;
/** Text and binary bytes (as JS counts them) staged per part, so wide rows still make small parts. */
const PART_BYTES = 64 * 2 ** 20;

export interface ParquetWriterOptions {
  /** Rows (or records) per part, and so the most staged at once; tests use small parts to cover the assembly. */
  readonly partRows?: number;
  /** Page codec (default zstd). */
  readonly compression?: ParquetCompression;
  /** zstd level (zstd only; default DEFAULT_ZSTD_LEVEL). */
  readonly compressionLevel?: number;
}

/**
 * Writes a Parquet file through an in-memory DuckDB, streaming, in parts: each
 * part is written as a Parquet file with `COPY ... (FORMAT parquet, COMPRESSION
 * zstd, COMPRESSION_LEVEL 1)` (or the codec asked for) while the next part
 * fills, and its row groups are appended to the output (`RowGroupFile`), which
 * gets one footer at the end. Memory holds at most two parts whatever the
 * table size (raw parts: two converting, on the two connections, and one
 * filling). The logical kinds go into key-value metadata so the files source
 * restores them exactly. DuckDB starts in the background: the first CSV part
 * fills while it loads, and the first rows wait for it.
 *
 * A part fills in one of three ways (one per file):
 * - decoded rows (`write`) go through the Appender into a staging table, one
 *   data chunk (2048 rows, a column at a time) per native call, 245,760 rows or
 *   64 MiB of text a part;
 * - raw `ferry-csv` records (`writeRecords`) are written to a CSV part file
 *   (122,880 records or 64 MiB a part), which DuckDB reads as text and casts
 *   exactly as the staging path does: no value is decoded in JavaScript;
 * - raw `pg-binary` rows (`writeBinary`, Postgres binary COPY) are re-encoded
 *   field by field into an uncompressed Parquet part file already typed as
 *   the Parquet values (pg-binary-parts.ts; 122,880 rows or 64 MiB a part),
 *   which DuckDB reads and writes with the codec: no text is rendered by the
 *   server or parsed by DuckDB, and no value is decoded in JavaScript.
 */
export class ParquetFileWriter implements RowFileWriter {
  readonly #path: string;
  readonly #columns: readonly Column[];
  readonly #staging: readonly Staging[];
  /** Columns whose staged size varies with the value (text and bytes). */
  readonly #variable: readonly boolean[];
  #instance: DuckDBInstance | undefined;
  #appendConnection: DuckDBConnection | undefined;
  #copyConnection: DuckDBConnection | undefined;
  #file: RowGroupFile | undefined;
  #appender: DuckDBAppender | undefined;
  #types: readonly DuckDBType[] = [];
  /** DuckDB's instance and connections being made (see `duckdb`); settled before anything else touches them. */
  #duckReady: Promise<void> = Promise.resolve();
  /** Whether the first staging table was made (rows came). */
  #staged = false;
  #closed = false;
  /** Set by `discard`: a part handed over afterwards is removed, not converted. */
  #discarded = false;
  /** DuckDB set to one thread per query, once raw parts came (both conversions wait for it). */
  #oneThread: Promise<unknown> | undefined;
  #part = 0;
  #partRows = 0;
  #partBytes = 0;
  #partsFlushed = 0;
  #rows = 0;
  /** The CSV parts, once raw records came instead of rows. */
  #csvParts: CsvPartFiles | undefined;
  /** The binary COPY parts, once raw `pg-binary` bytes came instead of rows. */
  #binaryParts: PgBinaryParts | undefined;
  /** The last part handed over, until it is appended (each raw part's append waits for the one before). */
  #flushing: Promise<void> | undefined;
  /**
   * Raw parts being converted, one per connection (part i on connection i % 2):
   * a raw file needs no appender, so both connections convert and two parts
   * are written at once, appended in order. When the COPY outruns one
   * conversion thread, or once it has ended, the second core is not left idle.
   */
  readonly #converting: [Promise<void> | undefined, Promise<void> | undefined] = [undefined, undefined];
  readonly #partRowLimit: number;
  readonly #recordPartLimit: number;
  /** The codec options of every part's COPY (`COMPRESSION zstd, COMPRESSION_LEVEL 1`). */
  readonly #codec: string;

  private constructor(path: string, columns: readonly Column[], options: ParquetWriterOptions) {
    this.#path = path;
    this.#partRowLimit = options.partRows ?? PART_ROWS;
    this.#recordPartLimit = options.partRows ?? RECORD_PART_ROWS;
    const compression = options.compression ?? 'zstd';
    if (options.compressionLevel !== undefined && compression !== 'zstd') throw new Error(`parquet writer: a compression level applies to zstd only, not to ${compression}`);
    this.#codec = compression === 'zstd' ? `COMPRESSION zstd, COMPRESSION_LEVEL ${options.compressionLevel ?? DEFAULT_ZSTD_LEVEL}` : `COMPRESSION ${compression}`;
    this.#columns = columns;
    this.#staging = columns.map(stagingOf);
    this.#variable = this.#staging.map((s) => s.stageType === 'VARCHAR' || s.stageType === 'BLOB');
  }

  static async create(path: string, columns: readonly Column[], options: ParquetWriterOptions = {}): Promise<ParquetFileWriter> {
    if (columns.length === 0) throw new DataError('a Parquet file needs at least one column', { file: path });
    assertDistinctNames(columns, path);
    const writer = new ParquetFileWriter(path, columns, options);
    writer.#duckReady = writer.#startDuckDB();
    // Observed by the first use, finish or discard; never left unhandled.
    writer.#duckReady.catch(() => undefined);
    try {
      writer.#file = await RowGroupFile.create(path);
    } catch (error) {
      await writer.discard();
      throw error;
    }
    return writer;
  }

  async #startDuckDB(): Promise<void> {
    const duck = (duckdb ??= await import('@duckdb/node-api'));
    this.#instance = await duck.DuckDBInstance.create(':memory:');
    this.#appendConnection = await this.#instance.connect();
    this.#copyConnection = await this.#instance.connect();
  }

  /** The first staging table, once DuckDB is up (the first rows, or an empty file's schema). */
  async #stage(): Promise<void> {
    if (this.#staged) return;
    this.#staged = true;
    await this.#duckReady;
    await this.#openPart();
  }

  async #openPart(): Promise<void> {
    const connection = this.#appendConnection as DuckDBConnection;
    const defs = this.#staging.map((s, i) => `c${i} ${s.stageType}`).join(', ');
    await connection.run(`CREATE TABLE stage_${this.#part} (${defs})`);
    const appender = await connection.createAppender(`stage_${this.#part}`);
    this.#appender = appender;
    this.#types = this.#staging.map((_, i) => appender.columnType(i));
  }

  async write(rows: readonly Row[]): Promise<void> {
    if (this.#csvParts || this.#binaryParts) throw new Error('parquet writer: rows cannot follow raw records');
    if (this.#closed) throw new Error('parquet writer is closed');
    await this.#stage();
    const appender = this.#appender as DuckDBAppender;
    for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
      const end = Math.min(start + CHUNK_ROWS, rows.length);
      const chunk = (duckdb as DuckDBModule).DuckDBDataChunk.create(this.#types, end - start);
      chunk.setColumns(this.#staging.map((_, i) => this.#columnValues(rows, i, start, end)));
      appender.appendDataChunk(chunk);
      this.#rows += end - start;
      this.#partRows += end - start;
    }
    appender.flushSync();
    if (this.#partRows >= this.#partRowLimit || this.#partBytes >= PART_BYTES) await this.#rotate();
  }

  /**
   * Append raw `ferry-csv` records (comma, `"` quotes, NULL an empty unquoted
   * field, the empty string `""`, each value its canonical text, bytes base64;
   * only for columns `parquetTakesFerryCsv` accepts). Returns how many records
   * the bytes completed. A file takes either rows or records, not both.
   */
  async writeRecords(bytes: Uint8Array): Promise<number> {
    if (this.#closed) throw new Error('parquet writer is closed');
    const parts = (this.#csvParts ??= this.#startRecords());
    const rows = await parts.write(bytes);
    this.#rows += rows;
    return rows;
  }

  /**
   * Append raw `pg-binary` bytes (a Postgres binary COPY of these columns, in
   * order; only for columns `takesPgBinary` accepts, pg-binary-parts.ts). Returns how many
   * rows the bytes completed. A file takes rows, records or binary COPY, one of them.
   */
  async writeBinary(bytes: Uint8Array): Promise<number> {
    if (this.#closed) throw new Error('parquet writer is closed');
    if (this.#staged || this.#csvParts) throw new Error('parquet writer: binary COPY cannot follow rows or records');
    const parts = (this.#binaryParts ??= new PgBinaryParts({
      columns: this.#columns,
      pathOf: (index) => `${this.#path}.part${index}.bin`,
      partRows: this.#recordPartLimit,
      partBytes: PART_BYTES,
      onPart: (part) => this.#handOverPart(part, this.#binarySelect(part), 'rows'),
      file: this.#path,
    }));
    const rows = await parts.write(bytes);
    this.#rows += rows;
    return rows;
  }

  #startRecords(): CsvPartFiles {
    if (this.#staged || this.#binaryParts) throw new Error('parquet writer: raw records cannot follow rows');
    if (!parquetTakesFerryCsv(this.#columns)) throw new Error('parquet writer: these columns cannot come in as ferry-csv');
    return new CsvPartFiles({
      pathOf: (index) => this.#csvPartPath(index),
      header: `${this.#columns.map((_, i) => `c${i}`).join(',')}\n`,
      partRows: this.#recordPartLimit,
      partBytes: PART_BYTES,
      onPart: (part) => this.#handOverPart(part, this.#csvSelect(part), 'CSV records'),
    });
  }

  #columnValues(rows: readonly Row[], i: number, start: number, end: number): DuckDBValue[] {
    const toDuck = (this.#staging[i] as Staging).toDuck;
    const variable = this.#variable[i] === true;
    const values = new Array<DuckDBValue>(end - start);
    let bytes = 0;
    for (let r = start; r < end; r++) {
      const value = rows[r]?.[i] ?? null;
      try {
        values[r - start] = value === null ? null : toDuck(value);
      } catch (error) {
        const column = this.#columns[i] as Column;
        throw new DataError(`column "${column.name}" (${column.type.kind}): cannot stage value for Parquet: ${(error as Error).message}`, { file: this.#path, cause: error });
      }
      if (variable && (typeof value === 'string' || value instanceof Uint8Array)) bytes += value.length;
    }
    this.#partBytes += bytes;
    return values;
  }

  /** Hand the filled staging table to the copy connection and start the next one. */
  async #rotate(): Promise<void> {
    this.#closeAppender();
    const part = this.#part;
    const rows = this.#partRows;
    await this.#handOver(() => this.#flushPart(part, rows));
    this.#part += 1;
    this.#partRows = 0;
    this.#partBytes = 0;
    await this.#openPart();
  }

  /** Wait for the part in flight, then start `flush` in the background. */
  async #handOver(flush: () => Promise<void>): Promise<void> {
    await this.#flushing;
    const flushing = flush();
    // Awaited at the next hand-over, in finish or in discard; never left unobserved.
    flushing.catch(() => undefined);
    this.#flushing = flushing;
  }

  #partPath(part: number): string {
    return `${this.#path}.part${part}`;
  }

  #csvPartPath(part: number): string {
    return `${this.#path}.part${part}.csv`;
  }

  async #flushPart(part: number, rows: number): Promise<void> {
    const connection = this.#copyConnection as DuckDBConnection;
    const partPath = this.#partPath(part);
    try {
      const result = await connection.run(this.#copySql(this.#stagedSelect(part), partPath)).catch((error: unknown) => {
        throw new DataError(`cannot write Parquet: ${(error as Error).message.split('\n')[0]}`, {
          file: this.#path,
          hint: 'a value does not convert to its Parquet type (see cause)',
          cause: error,
        });
      });
      if (result.rowsChanged !== rows) throw new DataError(`Parquet part ${part} has ${result.rowsChanged} rows, ${rows} were staged`, { file: this.#path });
      await connection.run(`DROP TABLE stage_${part}`);
      await (this.#file as RowGroupFile).append(partPath);
      this.#partsFlushed += 1;
    } finally {
      await rm(partPath, { force: true });
    }
  }

  /**
   * Start converting a raw part (records or binary COPY rows, `select` reads
   * it) into a Parquet part once its connection is free, and append its row
   * groups once it and the part before are done. Throws the failure of the
   * conversion that held the connection, so the stream stops at once.
   */
  async #handOverPart(part: CsvPart | BinaryPart, select: string, what: string): Promise<void> {
    const slot = part.index % 2;
    await this.#converting[slot];
    const converted = this.#convertPart(part, select, what, slot);
    const appended = this.#appendPart(part, converted, this.#flushing ?? Promise.resolve());
    // Both are awaited: `converted` by the next hand-over on this connection, `appended` by the
    // next part's append and by finish or discard, which settles them all (the chain waits for every one).
    converted.catch(() => undefined);
    appended.catch(() => undefined);
    this.#converting[slot] = converted;
    this.#flushing = appended;
  }

  /** Write a raw part as a Parquet part file with the codec; its rows are checked. */
  async #convertPart(part: CsvPart | BinaryPart, select: string, what: string, slot: number): Promise<void> {
    if (this.#discarded) throw new Error('parquet writer: discarded');
    await this.#duckReady;
    const connection = (slot === 0 ? this.#copyConnection : this.#appendConnection) as DuckDBConnection;
    // One thread per conversion (two conversions at once, on two connections): on the PG -> Parquet
    // benchmark DuckDB's own second thread cost 1.5 s more CPU per 1M rows and gained no time.
    await (this.#oneThread ??= connection.run('SET threads = 1'));
    const result = await connection.run(this.#copySql(select, this.#partPath(part.index))).catch((error: unknown) => {
      const rows = part.rows > 0 ? `${what} ${part.firstRow + 1}-${part.firstRow + part.rows}` : `no ${what}`;
      throw new DataError(`cannot write Parquet from part ${basename(part.path)} (${rows} of the stream): ${(error as Error).message.split('\n')[0]}`, {
        file: this.#path,
        hint: 'a value does not convert to its Parquet type (see cause)',
        cause: error,
      });
    });
    if (result.rowsChanged !== part.rows) {
      throw new DataError(`Parquet part ${part.index} has ${result.rowsChanged} rows, ${part.rows} ${what} were passed through`, { file: this.#path });
    }
  }

  /**
   * Append a converted part's row groups once the part before is appended;
   * settles only after its conversion and every earlier part have settled, and
   * fails with the earliest failure. Both part files are removed either way.
   */
  async #appendPart(part: CsvPart | BinaryPart, converted: Promise<void>, previous: Promise<void>): Promise<void> {
    const partPath = this.#partPath(part.index);
    try {
      const [earlier, own] = await Promise.allSettled([previous, converted]);
      if (earlier.status === 'rejected') throw earlier.reason;
      if (own.status === 'rejected') throw own.reason;
      await (this.#file as RowGroupFile).append(partPath);
      this.#partsFlushed += 1;
    } finally {
      await rm(partPath, { force: true });
      await rm(part.path, { force: true });
    }
  }

  /** A binary part holds each column as `c<i>`, already typed as the Parquet value. */
  #binarySelect(part: BinaryPart): string {
    const list = this.#columns.map((c, i) => `c${i} AS ${quoteIdentifier(c.name)}`);
    return `SELECT ${list.join(', ')} FROM read_parquet(${sqlString(part.path)})`;
  }

  #stagedSelect(part: number): string {
    const list = this.#columns.map((c, i) => {
      const final = (this.#staging[i] as Staging).final;
      return `${final ? final(`c${i}`) : `c${i}`} AS ${quoteIdentifier(c.name)}`;
    });
    return `SELECT ${list.join(', ')} FROM stage_${part}`;
  }

  /**
   * Strict RFC 4180 reading with nothing detected: every column VARCHAR, the
   * header line skipped, an unquoted empty field NULL and `""` the empty
   * string, a line feed the only record end (a CR is data), and lines as long
   * as the longest record passed through. Read buffers of twice the longest
   * line (4 MiB at least, not DuckDB's 32 MiB): 100 MiB less memory, same speed.
   */
  #csvSelect(part: CsvPart): string {
    const lineBytes = Math.max(CSV_LINE_BYTES, part.longestRecord + 1024);
    const list = this.#columns.map((c, i) => `${csvExpression(this.#staging[i] as Staging, i)} AS ${quoteIdentifier(c.name)}`);
    const types = this.#columns.map((_, i) => `'c${i}': 'VARCHAR'`).join(', ');
    const options = [
      'header = true', 'auto_detect = false', `columns = {${types}}`, `delim = ','`, `quote = '"'`, `escape = '"'`, `new_line = '\\n'`,
      `nullstr = ''`, 'allow_quoted_nulls = false', 'strict_mode = true', 'null_padding = false', 'ignore_errors = false',
      `max_line_size = ${lineBytes}`, `buffer_size = ${2 * lineBytes}`,
    ];
    return `SELECT ${list.join(', ')} FROM read_csv(${sqlString(part.path)}, ${options.join(', ')})`;
  }

  #copySql(select: string, to: string): string {
    const stored: StoredColumn[] = this.#columns.map((c) => ({ name: c.name, kind: c.type.kind, ...(c.type.precision !== undefined ? { precision: c.type.precision, scale: c.type.scale ?? 0 } : {}) }));
    const meta = `KV_METADATA {${sqlString(FERRY_COLUMNS_KEY)}: ${sqlString(JSON.stringify(stored))}}`;
    return `COPY (${select}) TO ${sqlString(to)} (FORMAT parquet, ${this.#codec}, ${meta})`;
  }

  async finish(): Promise<void> {
    const file = this.#file;
    const parts = this.#csvParts;
    const binaryParts = this.#binaryParts;
    if (!file || this.#closed) throw new Error('parquet writer is closed');
    this.#closed = true;
    this.#closeAppender();
    try {
      await this.#duckReady;
      if (parts) await this.#finishParts(parts.end(), (part) => this.#csvSelect(part), 'CSV records');
      else if (binaryParts) await this.#finishParts(binaryParts.end(), (part) => this.#binarySelect(part), 'rows');
      else await this.#finishRows();
      const rows = await file.finish();
      if (rows !== BigInt(this.#rows)) throw new DataError(`Parquet file has ${rows} rows, ${this.#rows} were written`, { file: this.#path });
    } catch (error) {
      // DuckDB closes only once no part is being written.
      this.#interrupt();
      await this.#flushing?.catch(() => undefined);
      this.#flushing = undefined;
      if (error instanceof DataError) throw error;
      throw new DataError(`cannot write Parquet: ${(error as Error).message}`, { file: this.#path, cause: error });
    } finally {
      this.#closeDuckDB();
    }
  }

  async #finishRows(): Promise<void> {
    await this.#flushing;
    this.#flushing = undefined;
    // The last part; an empty table still writes one, which gives the file its schema.
    if (!this.#staged) {
      await this.#stage();
      this.#closeAppender();
    }
    if (this.#partRows > 0 || this.#partsFlushed === 0) await this.#flushPart(this.#part, this.#partRows);
  }

  /** The last raw part (records or binary COPY rows), converted beside the one in flight, then every append. */
  async #finishParts<P extends CsvPart | BinaryPart>(end: Promise<P>, select: (part: P) => string, what: string): Promise<void> {
    const last = await end;
    // As for rows: an empty first part gives the file its schema.
    if (last.rows > 0 || last.index === 0) await this.#handOverPart(last, select(last), what);
    else await rm(last.path, { force: true });
    await this.#flushing;
    this.#flushing = undefined;
  }

  #closeAppender(): void {
    try {
      this.#appender?.closeSync();
    } catch {
      // Closing flushes; after a failed append there is nothing worth keeping.
    }
    this.#appender = undefined;
  }

  /** Stop the parts being written (a raw part may be converting on either connection). */
  #interrupt(): void {
    this.#copyConnection?.interrupt();
    if (this.#csvParts || this.#binaryParts) this.#appendConnection?.interrupt();
  }

  #closeDuckDB(): void {
    this.#closeAppender();
    for (const connection of [this.#appendConnection, this.#copyConnection]) connection?.closeSync();
    this.#appendConnection = undefined;
    this.#copyConnection = undefined;
    this.#instance?.closeSync();
    this.#instance = undefined;
  }

  async discard(): Promise<void> {
    this.#closed = true;
    this.#discarded = true;
    await this.#duckReady.catch(() => undefined);
    this.#closeAppender();
    this.#interrupt();
    await this.#flushing?.catch(() => undefined);
    this.#flushing = undefined;
    this.#closeDuckDB();
    await this.#file?.close();
    this.#file = undefined;
    await rm(this.#path, { force: true });
    const csvParts = this.#csvParts?.parts ?? 0;
    await this.#csvParts?.discard();
    for (let part = 0; part <= this.#part; part++) await rm(this.#partPath(part), { force: true });
    for (let part = 0; part < csvParts; part++) {
      await rm(this.#partPath(part), { force: true });
      await rm(this.#csvPartPath(part), { force: true });
    }
    // Binary parts: those ended (once the last one's file is written) and the one that was filling.
    await this.#binaryParts?.settle();
    const binaryParts = this.#binaryParts ? this.#binaryParts.parts + 1 : 0;
    for (let part = 0; part < binaryParts; part++) {
      await rm(this.#partPath(part), { force: true });
      await rm(`${this.#path}.part${part}.bin`, { force: true });
    }
  }
}
