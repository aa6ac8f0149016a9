import type Database from 'better-sqlite3';

/** Rows per multi-row INSERT: large enough to halve the per-call cost, small enough to stay under SQLite's bind limit. */
const ROWS_PER_STATEMENT = 25;

/**
 * Inserts rows through one prepared multi-row `INSERT ... VALUES (...), (...)`
 * statement, falling back to the single-row statement for the remainder.
 * Calling into SQLite once per 25 rows instead of once per row roughly halves
 * the time of a bulk load. Call `flush()` before the transaction commits.
 */
export class BatchedInsert {
  readonly #single: Database.Statement<unknown[]>;
  readonly #multi: Database.Statement<unknown[]>;
  readonly #width: number;
  readonly #pending: unknown[] = [];

  /** `sql` is a single-row `INSERT INTO t (...) VALUES (?, ...)`. */
  constructor(db: Database.Database, sql: string) {
    const values = /VALUES\s*(\(.*\))\s*$/is.exec(sql)?.[1];
    if (values === undefined) throw new TypeError(`not a single-row INSERT ... VALUES (...): ${sql}`);
    this.#width = (values.match(/\?/g) ?? []).length;
    this.#single = db.prepare(sql);
    this.#multi = db.prepare(`${sql}${`, ${values}`.repeat(ROWS_PER_STATEMENT - 1)}`);
  }

  add(...row: unknown[]): void {
    if (row.length !== this.#width) throw new RangeError(`expected ${this.#width} values, got ${row.length}`);
    this.#pending.push(...row);
    if (this.#pending.length === this.#width * ROWS_PER_STATEMENT) {
      this.#multi.run(this.#pending);
      this.#pending.length = 0;
    }
  }

  flush(): void {
    for (let start = 0; start < this.#pending.length; start += this.#width) {
      this.#single.run(this.#pending.slice(start, start + this.#width));
    }
    this.#pending.length = 0;
  }
}
