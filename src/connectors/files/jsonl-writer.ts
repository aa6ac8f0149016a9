import type { Column, Row, Value } from '../../core/schema.js';
import { type RowFileWriter, TextFileSink } from './text-file-sink.js';

function numberJson(value: number): string {
  // JSON has no NaN/Infinity: they are written as strings, which the source reads back into float columns.
  return Number.isFinite(value) ? String(value) : JSON.stringify(String(value));
}

function valueJson(column: Column, value: Value): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return numberJson(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
  // JSON text is embedded as a value; a line break in it can only be whitespace, and would split the line.
  if (column.type.kind === 'json') return /[\r\n]/.test(value) ? value.replace(/\r\n?|\n/g, ' ') : value;
  return JSON.stringify(value);
}

/**
 * Writes one JSON object per line. int64 is a bare number with every digit
 * (the source parses it losslessly), decimals are strings (exact), bytes are
 * base64 strings, json columns are embedded as JSON values, NULL is `null`.
 */
export class JsonlFileWriter implements RowFileWriter {
  readonly #sink: TextFileSink;
  readonly #columns: readonly Column[];
  readonly #keys: readonly string[];

  constructor(path: string, columns: readonly Column[], gzip: boolean) {
    this.#sink = new TextFileSink(path, gzip);
    this.#columns = columns;
    this.#keys = columns.map((c) => `${JSON.stringify(c.name)}:`);
  }

  async write(rows: readonly Row[]): Promise<void> {
    let text = '';
    for (const row of rows) {
      const fields = row.map((value, i) => `${this.#keys[i]}${valueJson(this.#columns[i] as Column, value)}`);
      text += `{${fields.join(',')}}\n`;
    }
    if (text !== '') await this.#sink.write(text);
  }

  finish(): Promise<void> {
    return this.#sink.finish();
  }

  discard(): Promise<void> {
    return this.#sink.discard();
  }
}
