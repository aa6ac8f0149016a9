import { Readable } from 'node:stream';
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { DataError } from '../../core/errors.js';
import type { TableRef } from '../../core/schema.js';
import { coreOf, type MysqlConnection } from './client.js';
import { quoteColumns, quoteTable } from './identifiers.js';
import { encodeLoadDataRows } from './load-data-text.js';
import type { Stager } from './stager.js';
import type { WireValue } from './write-value.js';

/** Largest piece handed to the driver at once: each becomes one protocol packet (max 16 MB). */
const PACKET_BYTES = 1 << 20;

/** `LOAD DATA LOCAL INFILE` into `table`, reading the stream Ferry supplies. */
export function loadDataSql(table: TableRef, names: readonly string[]): string {
  return (
    `LOAD DATA LOCAL INFILE 'ferry-stream' INTO TABLE ${quoteTable(table)} CHARACTER SET utf8mb4 ` +
    `FIELDS TERMINATED BY '\\t' ENCLOSED BY '' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' STARTING BY '' (${quoteColumns(names)})`
  );
}

/**
 * One LOAD DATA statement kept open across batches: each batch's text is
 * pushed into the stream the driver sends as the "file". Backpressure comes
 * from the socket: a write waits while the socket's buffer is full.
 *
 * With LOCAL the server turns bad values and duplicate keys into warnings
 * (it cannot stop the client mid-file), so `finish` fails on any warning.
 */
export class LoadDataStager implements Stager {
  readonly #connection: MysqlConnection;
  readonly #file = new Readable({ read: () => undefined });
  readonly #result: Promise<ResultSetHeader>;
  #failure: unknown;
  #rows = 0;

  constructor(connection: MysqlConnection, sql: string) {
    this.#connection = connection;
    this.#result = connection.query<ResultSetHeader>({ sql, infileStreamFactory: () => this.#file }).then(([result]) => result);
    this.#result.catch((error: unknown) => {
      this.#failure = error ?? new Error('LOAD DATA failed');
    });
  }

  async write(rows: readonly (readonly WireValue[])[]): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure;
    const chunk = encodeLoadDataRows(rows);
    for (let at = 0; at < chunk.length; at += PACKET_BYTES) this.#file.push(chunk.subarray(at, at + PACKET_BYTES));
    this.#rows += rows.length;
    await this.#drained();
  }

  async finish(): Promise<number> {
    this.#file.push(null);
    const result = await this.#result;
    if (result.warningStatus > 0) await this.#failOnWarnings(result.warningStatus);
    if (result.affectedRows !== this.#rows) {
      throw new DataError(`LOAD DATA loaded ${result.affectedRows} of ${this.#rows} rows (${result.info ?? ''})`);
    }
    return result.affectedRows;
  }

  /** End the file early; the staging table is dropped by the caller. True when the connection is still usable. */
  async cancel(): Promise<boolean> {
    this.#file.push(null);
    return this.#result.then(() => true, () => false);
  }

  async #failOnWarnings(count: number): Promise<never> {
    const [warnings] = await this.#connection.query<RowDataPacket[]>('SHOW WARNINGS LIMIT 5');
    const text = warnings.map((w) => `${String(w['Message'])}`).join('; ');
    throw new DataError(`the server refused ${count} value(s) while loading: ${text}`, {
      hint: 'the row numbers count from the first row of this stream; the rows were not published',
    });
  }

  /** Wait while the socket holds more than its high-water mark (or the statement has failed). */
  async #drained(): Promise<void> {
    const socket = coreOf(this.#connection).stream;
    while (socket.writableNeedDrain && this.#failure === undefined) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          socket.off('drain', done);
          resolve();
        };
        const timer = setTimeout(done, 100);
        socket.once('drain', done);
      });
    }
    if (this.#failure !== undefined) throw this.#failure;
  }
}
