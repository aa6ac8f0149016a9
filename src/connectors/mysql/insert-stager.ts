import type { ResultSetHeader } from 'mysql2/promise';
import type { TableRef } from '../../core/schema.js';
import type { MysqlConnection } from './client.js';
import { hexLiteral, quoteColumns, quoteLiteral, quoteTable } from './identifiers.js';
import type { Stager } from './stager.js';
import type { WireValue } from './write-value.js';

/** Statement size cap, below max_allowed_packet: large enough that round trips do not dominate. */
const MAX_STATEMENT_BYTES = 8 << 20;

function literal(value: WireValue): string {
  if (value === null) return 'NULL';
  return typeof value === 'string' ? quoteLiteral(value) : hexLiteral(value);
}

/**
 * The fallback when LOAD DATA LOCAL is off: rows as multi-row
 * `INSERT INTO staging (...) VALUES (...), (...)` statements of up to 8 MB
 * (or half of max_allowed_packet), sent as batches arrive. Strict mode makes
 * any refused value fail the statement.
 */
export class InsertStager implements Stager {
  readonly #connection: MysqlConnection;
  readonly #prefix: string;
  readonly #limit: number;
  #rows = 0;

  constructor(connection: MysqlConnection, table: TableRef, names: readonly string[], maxPacket: number) {
    this.#connection = connection;
    this.#prefix = `INSERT INTO ${quoteTable(table)} (${quoteColumns(names)}) VALUES `;
    this.#limit = Math.max(64 << 10, Math.min(MAX_STATEMENT_BYTES, Math.floor(maxPacket / 2)));
  }

  async write(values: readonly (readonly WireValue[])[]): Promise<void> {
    let tuples: string[] = [];
    let size = this.#prefix.length;
    for (const row of values) {
      const tuple = `(${row.map(literal).join(',')})`;
      if (tuples.length > 0 && size + tuple.length + 1 > this.#limit) {
        await this.#send(tuples);
        tuples = [];
        size = this.#prefix.length;
      }
      tuples.push(tuple);
      size += tuple.length + 1;
    }
    if (tuples.length > 0) await this.#send(tuples);
  }

  async finish(): Promise<number> {
    return this.#rows;
  }

  async cancel(): Promise<boolean> {
    return true;
  }

  async #send(tuples: readonly string[]): Promise<void> {
    const [result] = await this.#connection.query<ResultSetHeader>(`${this.#prefix}${tuples.join(',')}`);
    this.#rows += result.affectedRows;
  }
}
