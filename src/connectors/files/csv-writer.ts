import { type Options, stringify } from 'csv-stringify/sync';
import type { Column, Row, Value } from '../../core/schema.js';
import type { CsvOptions } from './config.js';
import { type RowFileWriter, TextFileSink } from './text-file-sink.js';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Canonical values as CSV cells: bytes as base64, NULL as undefined (an empty unquoted field). */
function cell(value: Value): string | number | bigint | boolean | undefined {
  if (value === null) return undefined;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

/**
 * Writes RFC 4180 CSV with a header through csv-stringify. NULL is an empty
 * unquoted field; an empty string (or any text listed in `null_values`) is
 * quoted, so the files source reads back exactly what was written. Values are
 * their canonical text; bytes are base64 (read them back with
 * `column_types: { col: bytes }`).
 */
export class CsvFileWriter implements RowFileWriter {
  readonly #sink: TextFileSink;
  readonly #options: Options;
  readonly #columns: readonly Column[];
  #started = false;

  constructor(path: string, columns: readonly Column[], csv: CsvOptions, gzip: boolean) {
    this.#sink = new TextFileSink(path, gzip);
    this.#columns = columns;
    this.#options = {
      delimiter: csv.delimiter,
      quote: csv.quote,
      escape: csv.escape,
      quoted_match: [/^$/, ...csv.null_values.filter((t) => t !== '').map((t) => new RegExp(`^${escapeRegExp(t)}$`))],
      cast: {
        bigint: (v) => v.toString(),
        boolean: (v) => (v ? 'true' : 'false'),
        number: (v) => String(v),
      },
    };
  }

  async #header(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    if (this.#columns.length > 0) await this.#sink.write(stringify([this.#columns.map((c) => c.name)], this.#options));
  }

  async write(rows: readonly Row[]): Promise<void> {
    await this.#header();
    if (rows.length === 0) return;
    await this.#sink.write(stringify(rows.map((row) => row.map(cell)), this.#options));
  }

  async finish(): Promise<void> {
    await this.#header();
    await this.#sink.finish();
  }

  discard(): Promise<void> {
    return this.#sink.discard();
  }
}
