import type { Column } from '../../core/schema.js';

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const SPACE = 0x20;
const PLUS = 0x2b;
const ZERO = 0x30;
const T = 0x54;
const Z = 0x5a;

/** Rewrites one row of a `COPY ... TO STDOUT` in place as it arrives (see CopyDataOut's `rewrite`); rows never grow. */
export interface RowRewriter {
  /** Rewrite the row `buf[start, end)` where it is; returns where it ends now (at most `end`). */
  rewrite(buf: Uint8Array, start: number, end: number): number;
}

/**
 * Turns the server's CSV text of timestamps into Ferry's canonical text, row
 * by row, on the client and in place: `2024-01-02 03:04:05.5` becomes
 * `2024-01-02T03:04:05.5`, and with time zone `...5+00` (the session is UTC)
 * `...5Z`; a ` BC` suffix stays, `infinity` and `-infinity` stay as they are,
 * NULL (an empty field) stays empty. Rendering these in SQL cost the server
 * 0.1-0.15 s per 1M rows of the PG -> CSV benchmark table, and the server
 * was the bound while Ferry's side of the stream sat idle.
 *
 * Such fields are never quoted (they hold no comma, quote or line break).
 * Text in any other shape fails the read (`Error`), never passes changed.
 */
export class CsvRowPatch implements RowRewriter {
  /** Field indexes of the timestamp columns, ascending, and whether each has a time zone. */
  readonly #fields: readonly number[];
  readonly #zoned: readonly boolean[];

  private constructor(fields: number[], zoned: boolean[]) {
    this.#fields = fields;
    this.#zoned = zoned;
  }

  /** The patch for these columns (in COPY order), or undefined when none of them needs one. */
  static for(columns: readonly Column[]): CsvRowPatch | undefined {
    const fields: number[] = [];
    const zoned: boolean[] = [];
    columns.forEach((c, i) => {
      if (c.type.kind === 'timestamp' || c.type.kind === 'timestamptz') {
        fields.push(i);
        zoned.push(c.type.kind === 'timestamptz');
      }
    });
    return fields.length === 0 ? undefined : new CsvRowPatch(fields, zoned);
  }

  rewrite(buf: Uint8Array, start: number, end: number): number {
    let i = start;
    let stop = end;
    let field = 0;
    for (let t = 0; t < this.#fields.length; t++) {
      const target = this.#fields[t] as number;
      // Skip the fields before the target, each with the comma after it.
      for (; field < target; field++) {
        if (buf[i] === QUOTE) {
          i++;
          for (;;) {
            if (i >= stop) throw malformed('a quoted field runs past the end of the row');
            if (buf[i++] === QUOTE) {
              if (buf[i] !== QUOTE) break;
              i++;
            }
          }
        }
        let b = buf[i];
        while (b !== COMMA) {
          if (b === LF || i >= stop) throw malformed(`the row ends in field ${field + 1}, before field ${target + 1}`);
          b = buf[++i];
        }
        i++;
      }
      const first = buf[i];
      if (first !== COMMA && first !== LF && first !== 0x69 && first !== 0x2d) {
        // Not NULL, `i`nfinity or `-`infinity: the date-time space becomes `T`, a `+00` offset `Z` (the row moves up by 2).
        while (buf[i] !== SPACE) {
          const b = buf[i];
          if (b === COMMA || b === LF || b === PLUS || i >= stop) throw malformed(`field ${target + 1} is not a timestamp's text`);
          i++;
        }
        buf[i++] = T;
        if (this.#zoned[t] === true) {
          while (buf[i] !== PLUS) {
            const b = buf[i];
            if (b === COMMA || b === LF || b === SPACE || i >= stop) throw malformed(`field ${target + 1} is not a timestamptz's text`);
            i++;
          }
          const after = buf[i + 3];
          if (buf[i + 1] !== ZERO || buf[i + 2] !== ZERO || (after !== COMMA && after !== LF && after !== SPACE)) {
            throw malformed(`field ${target + 1}: a timestamptz offset other than +00 (the session is UTC)`);
          }
          buf[i] = Z;
          buf.copyWithin(i + 1, i + 3, stop);
          stop -= 2;
          i++;
        }
      }
      // The rest of the field (digits, ` BC`, the infinities).
      let b = buf[i];
      while (b !== COMMA && b !== LF && i < stop) b = buf[++i];
      if (b === COMMA) {
        i++;
        field++;
      } else if (t < this.#fields.length - 1) {
        throw malformed(`the row ends in field ${target + 1}`);
      }
    }
    return stop;
  }
}

function malformed(what: string): Error {
  return new Error(`unexpected CSV from the server: ${what}`);
}
