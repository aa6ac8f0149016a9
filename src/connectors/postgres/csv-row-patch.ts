import type { Column } from '../../core/schema.js';

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const SPACE = 0x20;
const PLUS = 0x2b;
const ZERO = 0x30;
const T = 0x54;
const Z = 0x5a;
const LOWER_T = 0x74;
const LOWER_F = 0x66;
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');

/** Kinds whose Postgres text the client turns into the canonical text (see `CsvRowPatch`). */
type Patched = 'boolean' | 'timestamp' | 'timestamptz';
const PATCHED: ReadonlySet<string> = new Set<Patched>(['boolean', 'timestamp', 'timestamptz']);

/** Rewrites one row of a `COPY ... TO STDOUT` as it arrives (see CopyDataOut's `rewrite`). */
export interface RowRewriter {
  /** The most bytes one row can grow by. */
  readonly growth: number;
  /**
   * Write the row `src[start, end)` rewritten into `out` from `at` (which has
   * room for the row plus `growth`); returns where it ends in `out`.
   */
  rewrite(src: Uint8Array, start: number, end: number, out: Uint8Array, at: number): number;
}

/**
 * Turns the server's CSV text of booleans and timestamps into Ferry's
 * canonical text, row by row, on the client: booleans `t`/`f` become
 * `true`/`false`; timestamps `2024-01-02 03:04:05.5` become
 * `2024-01-02T03:04:05.5`, and with time zone `...5+00` (the session is UTC)
 * `...5Z`; ` BC` stays a suffix, `infinity` and `-infinity` stay as they are,
 * NULL (an empty field) stays empty. Rendering these in SQL cost the server
 * 0.2 s per 1M rows of the PG -> CSV benchmark table (a fifth of its COPY),
 * and the server was the bound; Ferry's side of the stream was idle.
 *
 * Such fields are never quoted (they hold no comma, quote or line break).
 * Text in any other shape fails the read (`Error`), never passes changed.
 */
export class CsvRowPatch implements RowRewriter {
  readonly growth: number;
  /** Field indexes of the patched columns, ascending, with their kinds. */
  readonly #fields: readonly number[];
  readonly #kinds: readonly Patched[];

  private constructor(fields: number[], kinds: Patched[]) {
    this.#fields = fields;
    this.#kinds = kinds;
    // `f` -> `false`; a timestamptz shrinks by 2, a timestamp keeps its length.
    this.growth = 4 * kinds.filter((k) => k === 'boolean').length;
  }

  /** The patch for these columns (in COPY order), or undefined when none of them needs one. */
  static for(columns: readonly Column[]): CsvRowPatch | undefined {
    const fields: number[] = [];
    const kinds: Patched[] = [];
    columns.forEach((c, i) => {
      if (PATCHED.has(c.type.kind)) {
        fields.push(i);
        kinds.push(c.type.kind as Patched);
      }
    });
    return fields.length === 0 ? undefined : new CsvRowPatch(fields, kinds);
  }

  rewrite(src: Uint8Array, start: number, end: number, out: Uint8Array, at: number): number {
    let i = start;
    let o = at;
    let field = 0;
    for (let t = 0; t < this.#fields.length; t++) {
      const target = this.#fields[t] as number;
      // Fields before the target, each with the comma after it, as they are.
      for (; field < target; field++) {
        if (src[i] === QUOTE) {
          out[o++] = QUOTE;
          i++;
          for (;;) {
            if (i >= end) throw malformed('a quoted field runs past the end of the row');
            const b = src[i++] as number;
            out[o++] = b;
            if (b === QUOTE) {
              if (src[i] !== QUOTE) break;
              out[o++] = QUOTE;
              i++;
            }
          }
        }
        for (let b = src[i]; b !== COMMA; b = src[i]) {
          if (b === LF || i >= end) throw malformed(`the row ends in field ${field + 1}, before field ${target + 1}`);
          out[o++] = b as number;
          i++;
        }
        out[o++] = COMMA;
        i++;
      }
      const kind = this.#kinds[t] as Patched;
      const b = src[i];
      if (b === COMMA || b === LF) {
        // NULL.
      } else if (kind === 'boolean') {
        const word = b === LOWER_T ? TRUE : b === LOWER_F ? FALSE : undefined;
        const after = src[i + 1];
        if (!word || (after !== COMMA && after !== LF)) throw malformed(`field ${target + 1} is not a boolean's text`);
        out.set(word, o);
        o += word.length;
        i++;
      } else {
        [i, o] = timestamp(src, i, end, out, o, kind === 'timestamptz', target);
      }
      if (src[i] === COMMA) {
        out[o++] = COMMA;
        i++;
        field++;
      } else if (t < this.#fields.length - 1) {
        throw malformed(`the row ends in field ${target + 1}`);
      }
    }
    // The rest of the row, line feed included.
    for (; i < end; i++) out[o++] = src[i] as number;
    return o;
  }
}

/**
 * One timestamp field from `i` (not empty): the date-time space becomes `T`,
 * and with time zone the `+00` offset becomes `Z`; the rest (` BC`) is kept.
 * `infinity` and `-infinity` pass as they are. Returns the positions after it.
 */
function timestamp(src: Uint8Array, from: number, end: number, out: Uint8Array, at: number, zoned: boolean, field: number): [number, number] {
  let i = from;
  let o = at;
  const first = src[i];
  const infinite = first === 0x69 || first === 0x2d; // `i`nfinity, `-`infinity
  let spaced = infinite;
  let zoneDone = infinite || !zoned;
  for (let b = src[i]; b !== COMMA && b !== LF && i < end; b = src[i]) {
    if (!spaced && b === SPACE) {
      out[o++] = T;
      spaced = true;
      i++;
    } else if (!zoneDone && b === PLUS) {
      if (src[i + 1] !== ZERO || src[i + 2] !== ZERO || (src[i + 3] !== COMMA && src[i + 3] !== LF && src[i + 3] !== SPACE)) {
        throw malformed(`field ${field + 1}: a timestamptz offset other than +00 (the session is UTC)`);
      }
      out[o++] = Z;
      zoneDone = true;
      i += 3;
    } else {
      out[o++] = b as number;
      i++;
    }
  }
  if (!spaced || !zoneDone) throw malformed(`field ${field + 1} is not a timestamp's text`);
  return [i, o];
}

function malformed(what: string): Error {
  return new Error(`unexpected CSV from the server: ${what}`);
}
