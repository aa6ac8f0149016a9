import type pg from 'pg';
import { DataError } from '../../../core/errors.js';
import type { Value } from '../../../core/schema.js';
import { CopyIn } from '../copy-in.js';
import { encodeField } from '../copy-text.js';
import { quoteIdent } from '../identifiers.js';

/** COPY text is sent in pieces of about this many characters (memory stays flat, the socket applies backpressure). */
const PIECE_CHARS = 1 << 20;

/** Rows to stage: values in the staging table's column order, each with the commit LSN of its change. */
export interface StagedRows {
  readonly stream: string;
  /** Column names, for error messages only (the staging table's columns are c0..cN). */
  readonly names: readonly string[];
  readonly rows: readonly { readonly values: readonly Value[]; readonly lsn: bigint }[];
}

/**
 * Temporary tables a change applier bulk-loads runs of changes into with
 * `COPY FROM STDIN`, so one set-based statement per run applies them. A table
 * has columns `c0..cN` of the given types, then `lsn bigint`; there is one
 * per distinct list of types, created on first use in the session and emptied
 * before each load. Temporary tables are private to the connection and never
 * written to the WAL.
 */
export class ChangeStaging {
  readonly #client: pg.ClientBase;
  readonly #tables = new Map<string, string>();
  #created = 0;

  constructor(client: pg.ClientBase) {
    this.#client = client;
  }

  /** Load the rows into an empty staging table with these column types; returns its quoted name. */
  async load(types: readonly string[], staged: StagedRows): Promise<string> {
    const table = await this.#table(types);
    await this.#client.query(`TRUNCATE ${table}`);
    await copyRows(this.#client, `COPY ${table} FROM STDIN`, staged, (lsn) => String(lsn));
    return table;
  }

  /**
   * Forget the tables after a rollback: those created in the rolled-back
   * transaction are gone, and the others are simply recreated under new names.
   */
  forget(): void {
    this.#tables.clear();
  }

  async #table(types: readonly string[]): Promise<string> {
    const shape = types.join('\u0001');
    const known = this.#tables.get(shape);
    if (known) return known;
    const name = `pg_temp.${quoteIdent(`_ferry_cdc_stage_${++this.#created}`)}`;
    const columns = [...types.map((type, i) => `c${i} ${type}`), 'lsn bigint'].join(', ');
    await this.#client.query(`CREATE TEMPORARY TABLE ${name} (${columns})`);
    this.#tables.set(shape, name);
    return name;
  }
}

/**
 * COPY the rows with `copySql`; each line is the row's values, then
 * `tail(lsn)` as further columns (COPY text, already escaped) unless empty.
 */
export async function copyRows(client: pg.ClientBase, copySql: string, staged: StagedRows, tail: (lsn: bigint) => string): Promise<number> {
  const copy = new CopyIn(client, copySql);
  try {
    let piece = '';
    for (const row of staged.rows) {
      piece += encodeRow(row.values, staged);
      const extra = tail(row.lsn);
      piece += extra === '' ? '\n' : `\t${extra}\n`;
      if (piece.length >= PIECE_CHARS) {
        await copy.write(Buffer.from(piece));
        piece = '';
      }
    }
    if (piece.length > 0) await copy.write(Buffer.from(piece));
    return await copy.finish();
  } catch (error) {
    await copy.cancel();
    throw error;
  }
}

function encodeRow(values: readonly Value[], staged: StagedRows): string {
  const width = staged.names.length;
  if (values.length !== width) {
    throw new DataError(`a change of ${staged.stream} has ${values.length} values for ${width} columns`, { stream: staged.stream });
  }
  let line = '';
  for (let i = 0; i < width; i++) {
    const value = values[i] ?? null;
    if (i > 0) line += '\t';
    if (value === null) {
      line += '\\N';
      continue;
    }
    try {
      line += encodeField(value);
    } catch (error) {
      throw new DataError(`column "${staged.names[i] ?? i}" of a change of ${staged.stream}: ${(error as Error).message}`, { stream: staged.stream, cause: error });
    }
  }
  return line;
}
