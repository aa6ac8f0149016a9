import { type FileHandle, open } from 'node:fs/promises';
import { CsvRecordCounter, offsetAfterRecords } from './csv-record-counter.js';

/** A part file of whole CSV records, closed and ready to read. */
export interface CsvPart {
  /** 0, 1, 2, ... in stream order. */
  readonly index: number;
  readonly path: string;
  readonly rows: number;
  /** Records of the stream before this part. */
  readonly firstRow: number;
  /** An upper bound of the part's longest record in bytes (line feed included). */
  readonly longestRecord: number;
}

export interface CsvPartFilesOptions {
  /** Where part `index` is written (an existing file is replaced). */
  readonly pathOf: (index: number) => string;
  /** The first line of every part (with its line feed), so no part starts with record bytes. */
  readonly header: string;
  /** Records per part. */
  readonly partRows: number;
  /** Bytes after which the part ends at its next record end (checked once per chunk written). */
  readonly partBytes: number;
  /** Called with each full part, in order; the next part fills while the returned promise is pending only if it resolves early. */
  readonly onPart: (part: CsvPart) => Promise<void>;
}

/** Bytes gathered before a write to the part file (a COPY arrives in reads of about 30 KiB). */
const WRITE_BYTES = 1 << 20;

/**
 * Cuts a stream of comma/`"` CSV records (raw format `ferry-csv`) into part
 * files of whole records, `partRows` records each (fewer when `partBytes` is
 * reached first), each starting with a header line. Record ends are found by
 * the record counter (line feeds outside quotes); only the chunk that ends a
 * part is walked byte by byte to find the cut.
 */
export class CsvPartFiles {
  readonly #options: CsvPartFilesOptions;
  readonly #counter = new CsvRecordCounter();
  #file: FileHandle | undefined;
  #index = 0;
  #rows = 0;
  #bytes = 0;
  #firstRow = 0;
  #pending: Buffer = Buffer.allocUnsafe(WRITE_BYTES);
  #filled = 0;

  constructor(options: CsvPartFilesOptions) {
    this.#options = options;
  }

  /** Parts started so far (the one filling included). */
  get parts(): number {
    return this.#index + (this.#file ? 1 : 0);
  }

  /** Append records; returns how many records the bytes completed. */
  async write(bytes: Uint8Array): Promise<number> {
    const inQuotes = this.#counter.inQuotes;
    const completed = this.#counter.count(bytes);
    let remaining = completed;
    let at = 0;
    let quoted = inQuotes;
    for (;;) {
      // A part past its byte budget ends at its next record end.
      const need = this.#bytes >= this.#options.partBytes ? 1 : this.#options.partRows - this.#rows;
      if (remaining < need) break;
      const end = offsetAfterRecords(bytes, at, need, quoted);
      if (end < 0) throw new Error('CSV record count and record ends disagree');
      await this.#append(bytes.subarray(at, end));
      this.#rows += need;
      remaining -= need;
      at = end;
      quoted = false;
      await this.#endPart();
    }
    if (at < bytes.length) await this.#append(bytes.subarray(at));
    this.#rows += remaining;
    return completed;
  }

  async #append(bytes: Uint8Array): Promise<void> {
    if (!this.#file) {
      this.#file = await open(this.#options.pathOf(this.#index), 'w');
      this.#gather(Buffer.from(this.#options.header, 'utf8'));
    }
    this.#bytes += bytes.length;
    if (this.#filled + bytes.length > WRITE_BYTES) await this.#flush();
    if (bytes.length >= WRITE_BYTES) await this.#writeAll(bytes);
    else this.#gather(bytes);
  }

  #gather(bytes: Uint8Array): void {
    this.#pending.set(bytes, this.#filled);
    this.#filled += bytes.length;
  }

  /**
   * Write the gathered bytes and reuse the buffer: the write is awaited before
   * anything is gathered again, and a new megabyte per write cost more in page
   * faults (0.2 s per 1M rows) than the copy into it.
   */
  async #flush(): Promise<void> {
    if (this.#filled === 0) return;
    const gathered = this.#pending.subarray(0, this.#filled);
    await this.#writeAll(gathered);
    this.#filled = 0;
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    const file = this.#file as FileHandle;
    for (let at = 0; at < bytes.length; ) {
      const { bytesWritten } = await file.write(bytes, at, bytes.length - at);
      at += bytesWritten;
    }
  }

  /** Close the filling part (creating it when no record came) and hand it over. */
  async #endPart(): Promise<void> {
    const part = await this.#close();
    await this.#options.onPart(part);
  }

  async #close(): Promise<CsvPart> {
    if (!this.#file) await this.#append(new Uint8Array());
    await this.#flush();
    await (this.#file as FileHandle).close();
    this.#file = undefined;
    const part: CsvPart = { index: this.#index, path: this.#options.pathOf(this.#index), rows: this.#rows, firstRow: this.#firstRow, longestRecord: this.#counter.longestRecord };
    this.#index += 1;
    this.#firstRow += this.#rows;
    this.#rows = 0;
    this.#bytes = 0;
    return part;
  }

  /**
   * Close the last part and return it (it may hold no record). Throws when the
   * bytes end inside a record.
   */
  async end(): Promise<CsvPart> {
    if (this.#counter.partial) throw new Error('the CSV passed through ends inside a record');
    return this.#close();
  }

  /** Close the open part file, if any (the caller removes the files). */
  async discard(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    await file?.close();
  }
}
