import { isUtf8 } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import { DataError, FerryError } from '../../core/errors.js';
import type { ReadRequest } from '../../core/connector.js';
import type { Column } from '../../core/schema.js';
import { textCellConverter } from './cell-converter.js';
import type { CsvOptions, InferenceOptions } from './config.js';
import { fieldCountError } from './csv-file.js';
import { CsvByteScanner, type RecordSink, type ScannedRecord } from './csv-byte-scanner.js';
import { CsvRecordParser, type TextRecord } from './csv-record-parser.js';
import { assertSameColumns, columnNames, fileColumns } from './decoded-file.js';
import { formatOfPath, isGzipPath } from './file-format.js';
import { openFileInput, type SourceFile } from './file-input.js';
import { fitsInferredBytes } from './inferred-bytes.js';
import { fitsInferredText, isInferredTextKind, type InferredTextKind } from './type-inference.js';

/**
 * CSV files straight into Postgres's `COPY ... FROM STDIN (FORMAT csv)` (raw
 * format `pg-csv`), for the cases where Postgres reads exactly the values the
 * decoded path would load:
 *
 * - the file's dialect is Postgres's (comma, `"` doubled inside quotes, NULL only
 *   the empty unquoted field), so a quoted `""` stays the empty string;
 * - every column is a string, or a kind inferred from the sample (whose texts
 *   Postgres parses to the canonical value: `1.50`, `2024-01-02 03:04:05+02`);
 *   kinds set in `column_types` parse leniently and are decoded instead;
 * - no row filters, cursor or projection (rows would need inspecting).
 *
 * The records are still parsed here (the same parser, so the same errors with
 * file and line), and every cell of a typed column is checked against the rule
 * that inferred its kind, before its bytes go out. Headers are dropped, every
 * record ends with `\n`, and a record Postgres would read differently from
 * Ferry (a bare carriage return in a `\n` file, line breaks in files with other
 * record delimiters) is re-encoded from its cells.
 */

/** Why the CSV of this read cannot pass through, or undefined when it can. */
export function pgCsvRefusal(pattern: string, csv: CsvOptions, inference: InferenceOptions, request: ReadRequest, columns: readonly Column[]): string | undefined {
  if (formatOfPath(pattern) !== 'csv') return 'not a .csv path';
  if (csv.delimiter !== ',' || csv.quote !== '"' || csv.escape !== '"') return 'dialect differs from Postgres CSV';
  if (csv.null_values.length !== 1 || csv.null_values[0] !== '') return 'null_values other than [""]';
  if (request.where !== undefined || (request.filters?.length ?? 0) > 0 || request.cursor !== undefined) return 'rows are filtered';
  if (request.columns !== undefined && (request.columns.length !== columns.length || request.columns.some((c, i) => c !== columns[i]?.name))) return 'columns are projected';
  if (columns.length < 2) return 'fewer than two columns';
  const lenient = columns.find((c) => (inference.columnTypes[c.name] ?? 'string') !== 'string' || (c.type.kind !== 'string' && !isInferredTextKind(c.type.kind)));
  return lenient === undefined ? undefined : `column "${lenient.name}" is typed by column_types`;
}

export interface PgCsvFileOptions {
  readonly csv: CsvOptions;
  readonly inference: InferenceOptions;
  /** The stream's columns (from the first file). */
  readonly columns: readonly Column[];
  /** The first file of the stream, when this is a later one (its header must name the same columns). */
  readonly first?: SourceFile;
  readonly signal: AbortSignal;
}

/** A cell check per column: undefined for strings (any text), else the inferred kind's rule. */
type CellCheck = InferredTextKind | undefined;

/** The field as Postgres CSV: quoted when it holds a comma, quote or line break, or is the empty string (NULL is empty unquoted). */
function pgCsvField(cell: string | null): string {
  if (cell === null) return '';
  if (cell !== '' && !/[",\r\n]/.test(cell)) return cell;
  return `"${cell.replaceAll('"', '""')}"`;
}

/** One file's records as `pg-csv` text, one piece per chunk read. */
class PgCsvFile {
  readonly #file: SourceFile;
  readonly #options: PgCsvFileOptions;
  readonly #checks: readonly CellCheck[];
  #header: boolean;
  #records = 0;

  constructor(file: SourceFile, options: PgCsvFileOptions) {
    this.#file = file;
    this.#options = options;
    this.#checks = options.columns.map((c) => (c.type.kind !== 'string' && isInferredTextKind(c.type.kind) ? c.type.kind : undefined));
    this.#header = options.csv.header;
  }

  get records(): number {
    return this.#records;
  }

  /** The text of these records (which point into `text`), headers dropped, each ending with `\n`. */
  piece(records: readonly TextRecord[], text: string, rd: string | undefined): string {
    const parts: string[] = [];
    let from = -1;
    let to = -1;
    let nextBreak = -1;
    for (const record of records) {
      if (this.#header) {
        this.#header = false;
        this.#checkHeader(record);
        continue;
      }
      this.#check(record);
      this.#records++;
      // A line break inside a `\n` file's record is fine in quotes; a carriage return may not be, so re-encode.
      if (nextBreak < record.start) nextBreak = this.#nextBreak(text, record.start, rd);
      const odd = nextBreak < record.end;
      if (!odd && rd === '\n') {
        if (from < 0) from = record.start;
        to = record.end;
        continue;
      }
      if (from >= 0) parts.push(text.slice(from, to), '\n');
      from = -1;
      parts.push(odd ? record.cells.map(pgCsvField).join(',') : text.slice(record.start, record.end), '\n');
    }
    if (from >= 0) parts.push(text.slice(from, to), '\n');
    return parts.join('');
  }

  /** At the end of the file: a later file of a glob without even a header has no columns. */
  finish(): void {
    if (this.#header && this.#options.first) this.#sameColumns([]);
  }

  /** Index of the next character from `at` that needs re-encoding: `\r` in `\n` files, any line break otherwise. */
  #nextBreak(text: string, at: number, rd: string | undefined): number {
    const cr = text.indexOf('\r', at);
    const lf = rd === '\n' ? -1 : text.indexOf('\n', at);
    const found = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
    return found < 0 ? Infinity : found;
  }

  #checkHeader(record: TextRecord): void {
    const names = columnNames(this.#file, record.cells);
    if (this.#options.first) this.#sameColumns(names);
  }

  #sameColumns(names: readonly string[]): void {
    const { first, columns } = this.#options;
    if (first) assertSameColumns(this.#file, first, columns, fileColumns(names, [], 'csv'));
  }

  /** The checks the decoded path makes: field count, then each typed cell against its kind's rule (its error, its words). */
  #check(record: TextRecord): void {
    const { columns } = this.#options;
    const cells = record.cells;
    if (cells.length !== columns.length) refuseFieldCount(this.#file, this.#options, cells, record.line, this.#records);
    const checks = this.#checks;
    for (let i = 0; i < checks.length; i++) {
      const kind = checks[i];
      const cell = cells[i];
      if (kind === undefined || cell === null || cell === undefined || fitsInferredText(kind, cell)) continue;
      refuseCell(this.#file, this.#options, i, kind, cell, record.line);
    }
  }
}

/** The decoded path's error for a record whose field count is not the stream's (`records`: records of this file before it). */
function refuseFieldCount(file: SourceFile, options: PgCsvFileOptions, cells: readonly (string | null)[], line: number, records: number): never {
  const { columns, csv, first } = options;
  if (first && !csv.header && csv.columns === undefined && records === 0) {
    assertSameColumns(file, first, columns, fileColumns(cells.map((_, i) => `column_${i + 1}`), [], 'csv'));
  }
  throw fieldCountError(file, { cells, line, start: 0, end: 0 }, columns.length);
}

/** The decoded path's error for typed cell `i` that does not fit its kind. */
function refuseCell(file: SourceFile, options: PgCsvFileOptions, i: number, kind: InferredTextKind, cell: string, line: number): never {
  const column = options.columns[i] as Column;
  textCellConverter(kind, { file: file.name, index: i, name: column.name }, options.inference)(cell, line);
  throw new DataError(`${file.name}: line ${line}, column "${column.name}": ${JSON.stringify(cell.slice(0, 60))} does not fit ${kind}`, { file: file.name, line });
}

const NEWLINE = Buffer.from('\n');
/** Pieces shorter than this are joined before they go out. */
const SMALL_PIECE = 16 * 1024;

/**
 * One UTF-8 file's records as `pg-csv` bytes, from the byte scanner: the same
 * checks and output as PgCsvFile, with no string per cell. Runs of records that
 * go out as they are become one slice of the input buffer each.
 */
class PgCsvBytes {
  readonly #file: SourceFile;
  readonly #options: PgCsvFileOptions;
  readonly #scanner: CsvByteScanner;
  /** Typed columns and their kinds, side by side. */
  readonly #typed: readonly number[];
  readonly #kinds: readonly InferredTextKind[];
  #header: boolean;
  #records = 0;
  #pieces: Buffer[] = [];
  #run: Buffer | undefined;
  #runFrom = -1;
  #runTo = -1;

  constructor(file: SourceFile, options: PgCsvFileOptions, scanner: CsvByteScanner) {
    this.#file = file;
    this.#options = options;
    this.#scanner = scanner;
    const checks = options.columns.map((c) => (c.type.kind !== 'string' && isInferredTextKind(c.type.kind) ? c.type.kind : undefined));
    this.#typed = checks.flatMap((kind, i) => (kind === undefined ? [] : [i]));
    this.#kinds = checks.filter((kind): kind is InferredTextKind => kind !== undefined);
    this.#header = options.csv.header;
  }

  /** The scanner's callback: check the record, then add its bytes to the output. */
  readonly onRecord: RecordSink = (buf, record) => {
    if (this.#header) {
      this.#header = false;
      const names = columnNames(this.#file, record.cells(buf));
      if (this.#options.first) this.#sameColumns(names);
      return;
    }
    this.#check(buf, record);
    this.#records++;
    // A line break inside a `\n` file's record is fine in quotes; a carriage return may not be, so re-encode.
    const rd = this.#scanner.recordDelimiter;
    const odd = record.hasCr || (rd !== '\n' && record.hasLf);
    if (!odd && rd === '\n') {
      if (this.#run !== buf) this.#flushRun();
      if (this.#runFrom < 0) {
        this.#run = buf;
        this.#runFrom = record.start;
      }
      this.#runTo = record.end;
      return;
    }
    this.#flushRun();
    this.#pieces.push(odd ? Buffer.from(record.cells(buf).map(pgCsvField).join(','), 'utf8') : buf.subarray(record.start, record.end), NEWLINE);
  };

  /**
   * The bytes of the records read since the last call, as valid UTF-8 (invalid
   * bytes become U+FFFD, as decoding does): large slices as they are, small
   * pieces between them joined (a COPY message each would cost more than the copy).
   */
  take(): Buffer[] {
    this.#flushRun();
    const pieces = this.#pieces;
    this.#pieces = [];
    const out: Buffer[] = [];
    let small: Buffer[] = [];
    const join = () => {
      if (small.length > 0) out.push(small.length === 1 ? (small[0] as Buffer) : Buffer.concat(small));
      small = [];
    };
    for (const piece of pieces) {
      const valid = isUtf8(piece) ? piece : Buffer.from(piece.toString('utf8'), 'utf8');
      if (valid.length < SMALL_PIECE) small.push(valid);
      else {
        join();
        out.push(valid);
      }
    }
    join();
    return out;
  }

  /** At the end of the file: a later file of a glob without even a header has no columns. */
  finish(): void {
    if (this.#header && this.#options.first) this.#sameColumns([]);
  }

  /** The pending run of records as one slice, ending with its `\n` (the input's own when it has one). */
  #flushRun(): void {
    const buf = this.#run;
    if (buf === undefined || this.#runFrom < 0) return;
    const to = this.#runTo;
    if (to < buf.length && buf[to] === 0x0a) this.#pieces.push(buf.subarray(this.#runFrom, to + 1));
    else this.#pieces.push(buf.subarray(this.#runFrom, to), NEWLINE);
    this.#run = undefined;
    this.#runFrom = -1;
  }

  #sameColumns(names: readonly string[]): void {
    const { first, columns } = this.#options;
    if (first) assertSameColumns(this.#file, first, columns, fileColumns(names, [], 'csv'));
  }

  #check(buf: Buffer, record: ScannedRecord): void {
    if (record.fields !== this.#options.columns.length) refuseFieldCount(this.#file, this.#options, record.cells(buf), record.line, this.#records);
    const typed = this.#typed;
    const { fieldStart, fieldEnd, quoted } = record;
    for (let k = 0; k < typed.length; k++) {
      const i = typed[k] as number;
      const start = fieldStart[i] as number;
      const end = fieldEnd[i] as number;
      const q = quoted[i] as number;
      // The empty unquoted field is NULL; a doubled quote fits no kind.
      if ((q === 0 && start === end) || (q !== 2 && fitsInferredBytes(this.#kinds[k] as InferredTextKind, buf, start, end))) continue;
      refuseCell(this.#file, this.#options, i, this.#kinds[k] as InferredTextKind, record.cell(buf, i) as string, record.line);
    }
  }
}

function parserFor(file: SourceFile, csv: CsvOptions): CsvRecordParser {
  return new CsvRecordParser({ delimiter: csv.delimiter, quote: csv.quote, escape: csv.escape, nullValues: csv.null_values, skipLines: csv.skip_rows, bom: csv.bom }, file.name);
}

function readFailure(file: SourceFile, error: unknown): FerryError {
  if (error instanceof FerryError) return error;
  return new DataError(`${file.name}: cannot read the file: ${(error as Error).message}`, { file: file.name, cause: error });
}

/**
 * The records of one CSV file as `pg-csv` bytes (UTF-8, whatever the file's
 * encoding: it is decoded as the decoded path decodes it), one chunk per chunk
 * read. Throws the decoded path's DataError for a record it would refuse,
 * before any byte of that record is yielded.
 */
export function pgCsvOfFile(file: SourceFile, options: PgCsvFileOptions): AsyncGenerator<Buffer> {
  if (formatOfPath(file.name) !== 'csv') throw new FerryError(`${file.name} is not a .csv file; it cannot pass through as CSV`, { file: file.name });
  return options.csv.encoding === 'utf8' ? pgCsvOfUtf8File(file, options) : pgCsvOfDecodedFile(file, options);
}

/** UTF-8 files: scanned as bytes (csv-byte-scanner.ts). */
export async function* pgCsvOfUtf8File(file: SourceFile, options: PgCsvFileOptions): AsyncGenerator<Buffer> {
  const scanner = new CsvByteScanner({ skipLines: options.csv.skip_rows, bom: options.csv.bom }, file.name);
  const out = new PgCsvBytes(file, options, scanner);
  const input = openFileInput(file.path, isGzipPath(file.name), options.signal);
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      scanner.push(chunk, out.onRecord);
      yield* out.take();
    }
    scanner.end(out.onRecord);
    out.finish();
    yield* out.take();
  } catch (error) {
    if (options.signal.aborted) throw error;
    throw readFailure(file, error);
  } finally {
    input.destroy();
  }
}

/** Other encodings: decoded to text, then parsed with CsvRecordParser. */
export async function* pgCsvOfDecodedFile(file: SourceFile, options: PgCsvFileOptions): AsyncGenerator<Buffer> {
  const parser = parserFor(file, options.csv);
  const out = new PgCsvFile(file, options);
  const decoder = new StringDecoder(options.csv.encoding);
  const input = openFileInput(file.path, isGzipPath(file.name), options.signal);
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      const records = parser.push(decoder.write(chunk));
      if (records.length === 0) continue;
      const text = out.piece(records, parser.text, parser.recordDelimiter);
      if (text.length > 0) yield Buffer.from(text, 'utf8');
    }
    const last = [...parser.push(decoder.end()), ...parser.end()];
    const text = out.piece(last, parser.text, parser.recordDelimiter);
    out.finish();
    if (text.length > 0) yield Buffer.from(text, 'utf8');
  } catch (error) {
    if (options.signal.aborted) throw error;
    throw readFailure(file, error);
  } finally {
    input.destroy();
  }
}

function count(cells: readonly (string | null)[], char: string): number {
  let n = 0;
  for (const cell of cells) for (let at = cell?.indexOf(char) ?? -1; at >= 0; at = (cell as string).indexOf(char, at + 1)) n++;
  return n;
}

/**
 * The file and line of the record Postgres names as COPY line `copyLine` of a
 * `pg-csv` read of these files. Postgres (15-17) counts one per record plus the
 * line breaks inside quoted fields that match the input's line ending: `\n`
 * once the first record has ended, `\r` while the line ending is still unknown
 * (within the first record); it reports the count after reading the whole record.
 * Every cell holding a line break was sent quoted, so the breaks in the cells
 * are the ones it counted.
 */
export async function locateCsvRecord(files: readonly SourceFile[], csv: CsvOptions, copyLine: number, signal: AbortSignal): Promise<{ file: string; line: number } | undefined> {
  let line = 0;
  for (const file of files) {
    const parser = parserFor(file, csv);
    const decoder = new StringDecoder(csv.encoding);
    const input = openFileInput(file.path, isGzipPath(file.name), signal);
    let header = csv.header;
    const find = (records: readonly TextRecord[]): TextRecord | undefined => {
      for (const record of records) {
        if (header) {
          header = false;
          continue;
        }
        line += 1 + count(record.cells, line === 0 ? '\r' : '\n');
        if (line >= copyLine) return record;
      }
      return undefined;
    };
    try {
      for await (const chunk of input as AsyncIterable<Buffer>) {
        const found = find(parser.push(decoder.write(chunk)));
        if (found) return { file: file.name, line: found.line };
      }
      const found = find([...parser.push(decoder.end()), ...parser.end()]);
      if (found) return { file: file.name, line: found.line };
    } finally {
      input.destroy();
    }
  }
  return undefined;
}
