import { DataError } from '../../core/errors.js';
import type { Column, Row, Value } from '../../core/schema.js';
import type { CsvOptions } from './config.js';
import { CsvRecordCounter } from './csv-record-counter.js';
import { type RowFileWriter, TextFileSink } from './text-file-sink.js';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Canonical values as CSV text: bytes as base64, NULL as null (an empty unquoted field). */
function cellText(value: Value): string | null {
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
    case 'bigint':
      return String(value);
    default:
      return value === null ? null : Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  }
}

/**
 * RFC 4180 field encoding, the rules csv-stringify applies (which this replaced:
 * it built a record object per row and cost ten times the rest of the export).
 * A field is quoted when it holds the delimiter, the quote, the escape (when it
 * differs from the quote) or a line break, or when it reads as NULL (the empty
 * text or one of `null_values`). Inside quotes the quote is preceded by the
 * escape (doubled when they are the same character) and a distinct escape is doubled.
 */
class CsvFieldEncoder {
  readonly #csv: CsvOptions;
  readonly #special: RegExp;
  readonly #nullTexts: ReadonlySet<string>;

  constructor(csv: CsvOptions) {
    this.#csv = csv;
    const chars = [csv.delimiter, csv.quote, ...(csv.escape === csv.quote ? [] : [csv.escape]), '\n', '\r'];
    // A character class when every special is one character (the usual case): faster than an alternation.
    this.#special = chars.every((c) => c.length === 1)
      ? new RegExp(`[${chars.map((c) => c.replace(/[\\\]^-]/g, '\\$&')).join('')}]`)
      : new RegExp(chars.map(escapeRegExp).join('|'));
    this.#nullTexts = new Set(['', ...csv.null_values]);
  }

  field(text: string): string {
    if (!this.#special.test(text) && !this.#nullTexts.has(text)) return text;
    const { quote, escape } = this.#csv;
    let body = text;
    if (escape !== quote && body.includes(escape)) body = body.replaceAll(escape, escape + escape);
    if (body.includes(quote)) body = body.replaceAll(quote, escape + quote);
    return quote + body + quote;
  }

  record(values: readonly Value[]): string {
    const delimiter = this.#csv.delimiter;
    let line = '';
    for (let i = 0; i < values.length; i++) {
      if (i > 0) line += delimiter;
      const text = cellText(values[i] ?? null);
      if (text !== null) line += this.field(text);
    }
    return `${line}\n`;
  }
}

/** True when `csv` writes exactly the bytes of raw format `ferry-csv` (Postgres's CSV dialect). */
export function writesFerryCsv(csv: CsvOptions): boolean {
  return csv.delimiter === ',' && csv.quote === '"' && csv.escape === '"' && csv.null_values.every((text) => text === '');
}

/**
 * Writes RFC 4180 CSV with a header. NULL is an empty unquoted field; an empty
 * string (or any text listed in `null_values`) is quoted, so the files source
 * reads back exactly what was written. Values are their canonical text; bytes
 * are base64 (read them back with `column_types: { col: bytes }`).
 */
export class CsvFileWriter implements RowFileWriter {
  readonly #sink: TextFileSink;
  readonly #encoder: CsvFieldEncoder;
  readonly #columns: readonly Column[];
  readonly #path: string;
  readonly #counter = new CsvRecordCounter();
  #started = false;

  constructor(path: string, columns: readonly Column[], csv: CsvOptions, gzip: boolean) {
    this.#path = path;
    this.#sink = new TextFileSink(path, gzip);
    this.#columns = columns;
    this.#encoder = new CsvFieldEncoder(csv);
  }

  async #header(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    if (this.#columns.length > 0) await this.#sink.write(this.#encoder.record(this.#columns.map((c) => c.name)));
  }

  async write(rows: readonly Row[]): Promise<void> {
    await this.#header();
    if (rows.length === 0) return;
    let text = '';
    for (const row of rows) text += this.#encoder.record(row);
    await this.#sink.write(text);
  }

  /**
   * Append records that are already this writer's CSV (raw format `ferry-csv`:
   * the source rendered every value as `write` would). Returns how many records
   * the bytes completed.
   */
  async writeRecords(bytes: Uint8Array): Promise<number> {
    await this.#header();
    const rows = this.#counter.count(bytes);
    await this.#sink.write(bytes);
    return rows;
  }

  /** Records were passed through and the last one did not end with a line break. */
  get #cutOff(): boolean {
    return this.#counter.partial;
  }

  async finish(): Promise<void> {
    if (this.#cutOff) throw new DataError('the CSV passed through ends inside a record', { file: this.#path });
    await this.#header();
    await this.#sink.finish();
  }

  discard(): Promise<void> {
    return this.#sink.discard();
  }
}
