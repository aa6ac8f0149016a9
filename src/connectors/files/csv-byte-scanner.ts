import { DataError } from '../../core/errors.js';

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/** Bytes a quoted field's walk stops at: the quote and line breaks (counted). */
const QUOTED_STOP = new Uint8Array(256);
QUOTED_STOP[QUOTE] = QUOTED_STOP[LF] = QUOTED_STOP[CR] = 1;
/** Bytes an unquoted field's walk stops at: the delimiter, a stray quote and line breaks. */
const UNQUOTED_STOP = new Uint8Array(256);
UNQUOTED_STOP[QUOTE] = UNQUOTED_STOP[COMMA] = UNQUOTED_STOP[LF] = UNQUOTED_STOP[CR] = 1;

export type ByteRecordDelimiter = '\n' | '\r\n' | '\r';

/**
 * The record the scanner just read, as byte offsets into the buffer passed
 * along with it. One object is reused for every record: read it inside the
 * callback only.
 */
export class ScannedRecord {
  /** Line the record starts on (1-based, skipped lines counted). */
  line = 0;
  /** Where the record starts and ends in the buffer (its record delimiter, or the end of the input, follows). */
  start = 0;
  end = 0;
  fields = 0;
  /** Field i is bytes [fieldStart[i], fieldEnd[i]): inside the quotes of a quoted field. */
  fieldStart = new Int32Array(16);
  fieldEnd = new Int32Array(16);
  /** Per field: 0 unquoted, 1 quoted, 2 quoted holding a doubled quote (its content is not the value as it stands). */
  quoted = new Uint8Array(16);
  /** The record holds a carriage return (in a quoted field, or as data in an unquoted one). */
  hasCr = false;
  /** The record holds a line feed that is not its record delimiter. */
  hasLf = false;

  /** Field i as the text the string parser gives: null for the empty unquoted field, quotes undoubled. */
  cell(buf: Buffer, i: number): string | null {
    const start = this.fieldStart[i] as number;
    const end = this.fieldEnd[i] as number;
    const kind = this.quoted[i] as number;
    if (kind === 0 && start === end) return null;
    const text = buf.toString('utf8', start, end);
    return kind === 2 ? text.replaceAll('""', '"') : text;
  }

  cells(buf: Buffer): (string | null)[] {
    const cells: (string | null)[] = [];
    for (let i = 0; i < this.fields; i++) cells.push(this.cell(buf, i));
    return cells;
  }

  #grow(): void {
    const size = this.fieldStart.length * 2;
    const grown = (from: Int32Array) => {
      const to = new Int32Array(size);
      to.set(from);
      return to;
    };
    this.fieldStart = grown(this.fieldStart);
    this.fieldEnd = grown(this.fieldEnd);
    const quoted = new Uint8Array(size);
    quoted.set(this.quoted);
    this.quoted = quoted;
  }

  field(start: number, end: number, quoted: number): void {
    if (this.fields === this.fieldStart.length) this.#grow();
    this.fieldStart[this.fields] = start;
    this.fieldEnd[this.fields] = end;
    this.quoted[this.fields] = quoted;
    this.fields++;
  }
}

export interface CsvByteScannerOptions {
  /** Physical lines skipped before the first record. */
  readonly skipLines: number;
  /** Drop a leading UTF-8 byte order mark. */
  readonly bom: boolean;
}

/** `onRecord` is called once per record, in order; `buf` stays valid (it is never written to) after the call. */
export type RecordSink = (buf: Buffer, record: ScannedRecord) => void;

/** Returned by the record walk when the record is cut by the end of the buffer. */
const MORE = -1;

/**
 * CsvRecordParser's grammar for Postgres's CSV dialect (comma, `"` doubled
 * inside quotes, NULL only the empty unquoted field), read from UTF-8 bytes
 * without building a string per cell: the same records, the same line numbers
 * and the same errors (csv-byte-scanner.test.ts checks it against the string
 * parser). Delimiters, quotes and line breaks are ASCII, so they are never part
 * of a multi-byte character (valid or not) and a chunk may end anywhere.
 */
export class CsvByteScanner {
  readonly #options: CsvByteScannerOptions;
  readonly #file: string;
  readonly #record = new ScannedRecord();
  #buf: Buffer = Buffer.alloc(0);
  #pos = 0;
  #line = 1;
  #skip: number;
  #started = false;
  #rd: ByteRecordDelimiter | undefined;
  #width = -1;

  constructor(options: CsvByteScannerOptions, file: string) {
    this.#options = options;
    this.#file = file;
    this.#skip = options.skipLines;
  }

  /** The record delimiter found in the input, once a record was read. */
  get recordDelimiter(): ByteRecordDelimiter | undefined {
    return this.#rd;
  }

  /** Scan the records `chunk` completes. */
  push(chunk: Buffer, onRecord: RecordSink): void {
    let tail = this.#buf.subarray(this.#pos);
    // Only the record cut by the previous buffer's end is copied: the rest of it
    // joined with as much of `chunk` as it takes to end it (doubling), after which
    // the scan goes on in `chunk` itself.
    let take = Math.min(chunk.length, Math.max(4096, 2 * tail.length));
    while (tail.length > 0 && take < chunk.length) {
      const joined = Buffer.concat([tail, chunk.subarray(0, take)]);
      this.#buf = joined;
      this.#pos = 0;
      this.#scan(false, onRecord);
      if (this.#pos >= tail.length) {
        this.#pos -= tail.length;
        this.#buf = chunk;
        this.#scan(false, onRecord);
        return;
      }
      tail = joined.subarray(this.#pos, tail.length);
      take = Math.min(chunk.length, 2 * take);
    }
    this.#buf = tail.length === 0 ? chunk : Buffer.concat([tail, chunk]);
    this.#pos = 0;
    this.#scan(false, onRecord);
  }

  /** The end of the input: the last record may lack a line break; an open quote is an error. */
  end(onRecord: RecordSink): void {
    this.#scan(true, onRecord);
    this.#buf = Buffer.alloc(0);
    this.#pos = 0;
  }

  #scan(final: boolean, onRecord: RecordSink): void {
    if (!this.#prepare(final)) return;
    while (this.#pos < this.#buf.length) {
      const rd = this.#rd ?? this.#discover(final);
      if (rd === undefined) return;
      const next = this.#read(rd, final);
      if (next === MORE) return;
      const record = this.#record;
      if (this.#width < 0) this.#width = record.fields;
      else if (record.fields !== this.#width) {
        throw this.#error(record.line, `${record.fields} fields, expected ${this.#width} (as in the first record)`, 'every record must have as many fields as the header; check delimiters and quoting');
      }
      this.#pos = next;
      onRecord(this.#buf, record);
    }
  }

  /** Strip the BOM and skip lines; false while more input is needed for that. */
  #prepare(final: boolean): boolean {
    const buf = this.#buf;
    if (!this.#started) {
      if (buf.length < 3 && !final) return false;
      this.#started = true;
      if (this.#options.bom && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) this.#pos = 3;
    }
    while (this.#skip > 0) {
      const next = this.#lineEnd(this.#pos);
      if (next < 0) {
        if (!final) return false;
        this.#pos = buf.length;
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
    const buf = this.#buf;
    for (let i = from; i < buf.length; i++) {
      const c = buf[i];
      if (c === LF) return i + 1;
      if (c === CR) {
        if (i + 1 >= buf.length) return -1;
        return buf[i + 1] === LF ? i + 2 : i + 1;
      }
    }
    return -1;
  }

  /** The first line break outside quotes; undefined until one is seen (`\n` at the end of the input). */
  #discover(final: boolean): ByteRecordDelimiter | undefined {
    const buf = this.#buf;
    let inQuotes = false;
    for (let i = this.#pos; i < buf.length; i++) {
      const c = buf[i];
      if (c === QUOTE) inQuotes = !inQuotes;
      else if (!inQuotes && (c === LF || c === CR)) {
        if (c === CR && i + 1 >= buf.length && !final) return undefined;
        this.#rd = c === LF ? '\n' : buf[i + 1] === LF ? '\r\n' : '\r';
        return this.#rd;
      }
    }
    // No line break outside quotes in the whole input: one record, and `\n` (never seen) ends it.
    if (final) this.#rd = '\n';
    return this.#rd;
  }

  /**
   * Read the record at #pos into #record; returns where the next one starts,
   * or MORE when the buffer ends inside it (and this is not the final call).
   */
  #read(rd: ByteRecordDelimiter, final: boolean): number {
    const buf = this.#buf;
    const len = buf.length;
    const record = this.#record;
    const lfEnds = rd === '\n';
    const crEnds = rd === '\r';
    const line = this.#line;
    record.line = line;
    record.start = this.#pos;
    record.fields = 0;
    record.hasCr = false;
    record.hasLf = false;
    let breaks = 0;
    let i = this.#pos;
    for (;;) {
      if (i < len && buf[i] === QUOTE) {
        // Quoted field: up to the quote that is not doubled.
        const from = i + 1;
        let j = from;
        let doubled = 0;
        for (;;) {
          while (j < len && QUOTED_STOP[buf[j] as number] === 0) j++;
          if (j >= len) {
            if (!final) return MORE;
            throw this.#error(line, 'a quoted field is never closed', 'a field opened with a quote on this line has no closing quote; check for a stray quote character or set csv.quote');
          }
          const c = buf[j];
          if (c === QUOTE) {
            if (j + 1 < len && buf[j + 1] === QUOTE) {
              doubled = 1;
              j += 2;
              continue;
            }
            if (j + 1 >= len && !final) return MORE;
            break;
          }
          if (c === LF) {
            breaks++;
            record.hasLf = true;
          } else if (c === CR) record.hasCr = true;
          j++;
        }
        record.field(from, j, 1 + doubled);
        i = j + 1;
        if (i >= len) return this.#ended(record, len, len, line + breaks);
        // A delimiter or record end may be cut by the end of the buffer.
        if (!final && i + rd.length > len) return MORE;
        const c = buf[i] as number;
        if (c === COMMA) {
          i++;
          continue;
        }
        if (lfEnds ? c === LF : crEnds ? c === CR : c === CR && buf[i + 1] === LF) return this.#ended(record, i, i + rd.length, line + breaks);
        // The message names the character: wait for all of its bytes.
        const width = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
        if (!final && i + width > len) return MORE;
        const after = buf.toString('utf8', i, Math.min(i + width, len))[0];
        throw this.#error(line + breaks, `malformed CSV: a closing quote is followed by ${JSON.stringify(after)} instead of the delimiter or the end of the line`, 'check the quoting of this line, or the csv settings (delimiter, quote, escape)');
      }
      // Unquoted field: up to the delimiter or the record delimiter.
      const from = i;
      let quoteAt = -1;
      for (;;) {
        while (i < len && UNQUOTED_STOP[buf[i] as number] === 0) i++;
        if (i >= len) {
          if (!final) return MORE;
          if (quoteAt >= 0) throw this.#strayQuote(buf, from, i, line + breaks);
          record.field(from, i, 0);
          return this.#ended(record, len, len, line + breaks);
        }
        const c = buf[i] as number;
        if (c > QUOTE) {
          if (c === COMMA) break;
        } else if (c === QUOTE) {
          if (quoteAt < 0) quoteAt = i;
        } else if (c === LF) {
          if (lfEnds) break;
          record.hasLf = true;
        } else if (c === CR) {
          if (crEnds) break;
          if (!lfEnds) {
            if (i + 1 >= len) {
              if (!final) return MORE;
            } else if (buf[i + 1] === LF) break;
          }
          record.hasCr = true;
        }
        i++;
      }
      if (quoteAt >= 0) throw this.#strayQuote(buf, from, i, line + breaks);
      record.field(from, i, 0);
      if (buf[i] === COMMA) {
        i++;
        continue;
      }
      return this.#ended(record, i, i + rd.length, line + breaks);
    }
  }

  /** Close #record at `end`; the next record starts at `next` on the line after `lastLine`. */
  #ended(record: ScannedRecord, end: number, next: number, lastLine: number): number {
    record.end = end;
    this.#line = lastLine + 1;
    return next;
  }

  #strayQuote(buf: Buffer, from: number, to: number, line: number): DataError {
    const field = buf.toString('utf8', from, to);
    return this.#error(line, `malformed CSV: a quote inside the unquoted field ${JSON.stringify(field.slice(0, 40))}`, 'quote the whole field and double the quotes inside it, or set csv.quote');
  }

  #error(line: number, what: string, hint: string): DataError {
    return new DataError(`${this.#file}: line ${line}: ${what}`, { file: this.#file, line, hint });
  }
}
