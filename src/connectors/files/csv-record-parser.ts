import { DataError } from '../../core/errors.js';

/** One CSV record: its cells (NULL where an unquoted field is a null text) and the line it starts on. */
export interface TextRecord {
  readonly cells: readonly (string | null)[];
  readonly line: number;
  /** Where the record's text starts in `CsvRecordParser.text` of the push that returned it. */
  readonly start: number;
  /** Where it ends there (its record delimiter, or the end of the input, follows). */
  readonly end: number;
}

export interface CsvDialect {
  readonly delimiter: string;
  readonly quote: string;
  readonly escape: string;
  /** Unquoted field texts that are NULL. */
  readonly nullValues: readonly string[];
  /** Physical lines skipped before the first record. */
  readonly skipLines: number;
  /** Drop a leading U+FEFF. */
  readonly bom: boolean;
}

const RECORD_DELIMITERS = ['\r\n', '\n', '\r'] as const;
type RecordDelimiter = (typeof RECORD_DELIMITERS)[number];

/**
 * Incremental RFC 4180 parser with csv-parse's rules (which it replaced: that
 * parser walks every character through a state machine and builds info objects
 * per record, which made CSV loads ten times slower than `psql \copy`):
 *
 * - the record delimiter is discovered from the first line break outside quotes
 *   (`\r\n`, `\n` or `\r`) and only it ends records afterwards;
 * - a field that starts with the quote is quoted; inside it the escape followed
 *   by the quote is a quote, a distinct escape takes the next character literally,
 *   and the closing quote must be followed by the delimiter, the record end or EOF;
 * - a quote inside an unquoted field is an error; so is a record whose field
 *   count differs from the first record's, or a quote never closed;
 * - an empty line is a record of one empty field.
 *
 * Records without a quote (the common case) are split with indexOf/split, with
 * no per-character work. Errors are DataErrors naming `file` and the line.
 */
export class CsvRecordParser {
  readonly #d: CsvDialect;
  readonly #file: string;
  readonly #nulls: ReadonlySet<string>;
  /** Longest null text: longer cells skip the set lookup (which would hash every cell). */
  readonly #nullMax: number;
  #text = '';
  #pos = 0;
  /** Line number of the record starting at #pos. */
  #line = 1;
  #skip: number;
  #started = false;
  #rd: RecordDelimiter | undefined;
  /** Index in #text of the next quote at or after #pos (text.length when none): one scan per buffer, not per record. */
  #nextQuote = -1;
  #width = -1;
  #records: TextRecord[] = [];

  constructor(dialect: CsvDialect, file: string) {
    this.#d = dialect;
    this.#file = file;
    this.#nulls = new Set(dialect.nullValues);
    this.#nullMax = Math.max(-1, ...dialect.nullValues.map((t) => t.length));
    this.#skip = dialect.skipLines;
  }

  /** The text the records of the last `push` or `end` point into (with `start`/`end`). */
  get text(): string {
    return this.#text;
  }

  /** The record delimiter found in the input (`\n`, `\r\n` or `\r`), once a record was read. */
  get recordDelimiter(): string | undefined {
    return this.#rd;
  }

  /** Parse what `text` completes; returns the records finished so far. */
  push(text: string): TextRecord[] {
    this.#text = this.#pos === 0 ? this.#text + text : this.#text.slice(this.#pos) + text;
    this.#pos = 0;
    this.#nextQuote = -1;
    if (!this.#prepare(false)) return this.#take();
    while (this.#pos < this.#text.length && this.#record(false));
    return this.#take();
  }

  /** The end of the input: the last record may lack a line break; an open quote is an error. */
  end(): TextRecord[] {
    if (this.#prepare(true)) while (this.#pos < this.#text.length && this.#record(true));
    return this.#take();
  }

  #take(): TextRecord[] {
    const records = this.#records;
    this.#records = [];
    return records;
  }

  /** Strip the BOM and skip lines; false while more input is needed for that. */
  #prepare(final: boolean): boolean {
    if (!this.#started) {
      if (this.#text.length === 0 && !final) return false;
      this.#started = true;
      if (this.#d.bom && this.#text.charCodeAt(0) === 0xfeff) this.#pos = 1;
    }
    while (this.#skip > 0) {
      const next = this.#lineEnd(this.#pos);
      if (next < 0) {
        if (!final) return false;
        this.#pos = this.#text.length;
        this.#skip = 0;
        return false;
      }
      this.#pos = next;
      this.#line++;
      this.#skip--;
    }
    return true;
  }

  /** Index after the next physical line break from `from` (any of \r\n, \n, \r), or -1. */
  #lineEnd(from: number): number {
    const text = this.#text;
    const n = text.indexOf('\n', from);
    const r = text.indexOf('\r', from);
    if (r >= 0 && (n < 0 || r < n)) {
      if (r + 1 >= text.length) return -1;
      return text.charCodeAt(r + 1) === 10 ? r + 2 : r + 1;
    }
    return n < 0 ? -1 : n + 1;
  }

  /** Parse one record at #pos; false when it is incomplete (more input needed). */
  #record(final: boolean): boolean {
    const text = this.#text;
    const start = this.#pos;
    const rd = this.#rd ?? this.#discover(start, final);
    if (rd === undefined) return false;
    let end = text.indexOf(rd, start);
    if (end < 0 && !final) return false;
    if (end < 0) end = text.length;
    if (this.#nextQuote < start) {
      const at = text.indexOf(this.#d.quote, start);
      this.#nextQuote = at < 0 ? text.length : at;
    }
    if (this.#nextQuote < end) return this.#quotedRecord(final);
    const cells: (string | null)[] = text.slice(start, end).split(this.#d.delimiter);
    for (let i = 0; i < cells.length; i++) if (this.#isNull(cells[i] as string)) cells[i] = null;
    this.#emit(cells, this.#line, start, end);
    this.#pos = end + rd.length;
    this.#line++;
    return true;
  }

  /** The record delimiter: the first line break outside quotes; undefined until one is seen (or `\n` at EOF). */
  #discover(from: number, final: boolean): RecordDelimiter | undefined {
    const text = this.#text;
    let inQuotes = false;
    for (let i = from; i < text.length; i++) {
      const c = text[i];
      if (inQuotes && c === this.#d.escape && this.#d.escape !== this.#d.quote) i++;
      else if (c === this.#d.quote) inQuotes = !inQuotes;
      else if (!inQuotes && (c === '\n' || c === '\r')) {
        if (c === '\r' && i + 1 >= text.length && !final) return undefined;
        this.#rd = c === '\n' ? '\n' : text[i + 1] === '\n' ? '\r\n' : '\r';
        return this.#rd;
      }
    }
    // No line break outside quotes in the whole input: one record, and `\n` (never seen) ends it.
    if (final) this.#rd = '\n';
    return this.#rd;
  }

  /** The slow path: a record holding a quote, walked character by character. */
  #quotedRecord(final: boolean): boolean {
    const { delimiter, quote, escape } = this.#d;
    const rd = this.#rd as RecordDelimiter;
    const text = this.#text;
    const line = this.#line;
    const cells: (string | null)[] = [];
    let i = this.#pos;
    let breaks = 0;
    for (;;) {
      if (text.startsWith(quote, i)) {
        let value = '';
        let from = i + 1;
        let j = from;
        for (;;) {
          if (j >= text.length) {
            if (!final) return false;
            throw this.#error(line, 'a quoted field is never closed', 'a field opened with a quote on this line has no closing quote; check for a stray quote character or set csv.quote');
          }
          const c = text[j];
          if (c === '\n') breaks++;
          if (c === escape && escape !== quote && j + 1 < text.length) {
            value += text.slice(from, j) + text[j + 1];
            if (text[j + 1] === '\n') breaks++;
            j += 2;
            from = j;
          } else if (c === quote) {
            if (escape === quote && text[j + 1] === quote) {
              value += text.slice(from, j + 1);
              j += 2;
              from = j;
            } else if (j + 1 >= text.length && !final) {
              return false;
            } else break;
          } else if (c === escape && j + 1 >= text.length && !final) {
            return false;
          } else j++;
        }
        value += text.slice(from, j);
        cells.push(value);
        i = j + 1;
        if (i >= text.length) break;
        // A delimiter or record end may be cut by the chunk boundary.
        if (!final && i + Math.max(delimiter.length, rd.length) > text.length) return false;
        if (text.startsWith(delimiter, i)) {
          i += delimiter.length;
          continue;
        }
        if (text.startsWith(rd, i)) break;
        throw this.#error(line + breaks, `malformed CSV: a closing quote is followed by ${JSON.stringify(text[i])} instead of the delimiter or the end of the line`, 'check the quoting of this line, or the csv settings (delimiter, quote, escape)');
      }
      const fieldEnd = this.#unquotedEnd(i, final);
      if (fieldEnd < 0) return false;
      const field = text.slice(i, fieldEnd);
      if (field.includes(quote)) {
        throw this.#error(line + breaks, `malformed CSV: a quote inside the unquoted field ${JSON.stringify(field.slice(0, 40))}`, 'quote the whole field and double the quotes inside it, or set csv.quote');
      }
      cells.push(this.#isNull(field) ? null : field);
      i = fieldEnd;
      if (i < text.length && text.startsWith(delimiter, i)) {
        i += delimiter.length;
        continue;
      }
      break;
    }
    this.#emit(cells, line, this.#pos, Math.min(i, text.length));
    this.#pos = i >= text.length ? text.length : i + rd.length;
    this.#line = line + breaks + 1;
    return true;
  }

  /** End of an unquoted field at `from` (the next delimiter or record end), -1 when more input is needed. */
  #unquotedEnd(from: number, final: boolean): number {
    const text = this.#text;
    const d = text.indexOf(this.#d.delimiter, from);
    const r = text.indexOf(this.#rd as RecordDelimiter, from);
    if (r < 0 && d < 0) return final ? text.length : -1;
    if (r < 0) return d;
    return d >= 0 && d < r ? d : r;
  }

  #isNull(cell: string): boolean {
    return cell.length <= this.#nullMax && this.#nulls.has(cell);
  }

  #emit(cells: (string | null)[], line: number, start: number, end: number): void {
    if (this.#width < 0) this.#width = cells.length;
    else if (cells.length !== this.#width) {
      throw this.#error(line, `${cells.length} fields, expected ${this.#width} (as in the first record)`, 'every record must have as many fields as the header; check delimiters and quoting');
    }
    this.#records.push({ cells, line, start, end });
  }

  #error(line: number, what: string, hint: string): DataError {
    return new DataError(`${this.#file}: line ${line}: ${what}`, { file: this.#file, line, hint });
  }
}
