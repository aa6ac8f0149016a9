import { StringDecoder } from 'node:string_decoder';
import { DataError } from '../../core/errors.js';
import type { Column, Row, Value } from '../../core/schema.js';
import { decoderFor, unescapeCopyText, type FieldDecoder } from './copy-text.js';

/**
 * Incremental parser of COPY text output: feed it chunks as they arrive (they
 * split rows and even UTF-8 characters anywhere), take complete rows out.
 *
 * Speed matters here (every decoded row passes through): a chunk is decoded to
 * a string once, rows are found with indexOf, and a row without any backslash
 * (the common case) is split on tabs with no per-field escape handling.
 */
export class CopyTextParser {
  readonly #columns: readonly Column[];
  readonly #decoders: readonly FieldDecoder[];
  readonly #stream: string;
  readonly #utf8 = new StringDecoder('utf8');
  /** Text of an incomplete last row, kept as parts so a huge row is not re-copied per chunk. */
  #partial: string[] = [];
  #rows: Row[] = [];
  #rowNumber = 0;

  constructor(columns: readonly Column[], stream: string) {
    this.#columns = columns;
    this.#decoders = columns.map(decoderFor);
    this.#stream = stream;
  }

  /** Rows completed so far (cleared by `take`). */
  get pending(): number {
    return this.#rows.length;
  }

  push(chunk: Buffer): void {
    const text = this.#utf8.write(chunk);
    const firstEnd = text.indexOf('\n');
    if (firstEnd < 0) {
      this.#partial.push(text);
      return;
    }
    let start = 0;
    let end = firstEnd;
    if (this.#partial.length > 0) {
      this.#partial.push(text.slice(0, end));
      this.#row(this.#partial.join(''));
      this.#partial = [];
      start = end + 1;
      end = text.indexOf('\n', start);
    }
    while (end >= 0) {
      this.#row(text.slice(start, end));
      start = end + 1;
      end = text.indexOf('\n', start);
    }
    if (start < text.length) this.#partial.push(text.slice(start));
  }

  /** Take up to `limit` completed rows (all by default), oldest first. */
  take(limit = Infinity): Row[] {
    const rows = this.#rows;
    if (rows.length <= limit) {
      this.#rows = [];
      return rows;
    }
    this.#rows = rows.slice(limit);
    return rows.slice(0, limit);
  }

  /** Call at the end of the stream: a trailing partial row means the output was cut off. */
  end(): void {
    const rest = this.#partial.join('') + this.#utf8.end();
    if (rest !== '') throw new DataError(`COPY output ended inside row ${this.#rowNumber + 1}`, { stream: this.#stream });
  }

  #row(line: string): void {
    this.#rowNumber++;
    const width = this.#decoders.length;
    if (width === 0) {
      this.#rows.push([]);
      return;
    }
    const fields = line.split('\t');
    if (fields.length !== width) {
      throw new DataError(`COPY row ${this.#rowNumber} has ${fields.length} fields, expected ${width}`, { stream: this.#stream });
    }
    const escaped = line.includes('\\');
    const row: Value[] = new Array<Value>(width);
    let j = 0;
    try {
      for (; j < width; j++) {
        const field = fields[j] as string;
        if (!escaped) row[j] = (this.#decoders[j] as FieldDecoder)(field);
        else if (field === '\\N') row[j] = null;
        else row[j] = (this.#decoders[j] as FieldDecoder)(field.includes('\\') ? unescapeCopyText(field) : field);
      }
    } catch (error) {
      throw this.#decodeError(j, fields[j] ?? '', error);
    }
    this.#rows.push(row);
  }

  #decodeError(j: number, text: string, cause: unknown): DataError {
    return new DataError(`row ${this.#rowNumber}, column "${this.#columns[j]?.name}": cannot decode ${JSON.stringify(text.slice(0, 80))}`, {
      stream: this.#stream,
      cause,
    });
  }
}
