import { createHash } from 'node:crypto';
import type { CursorState } from '../core/checkpoint.js';
import { DataError } from '../core/errors.js';
import type { Column, Row, Value } from '../core/schema.js';
import { compareValues, decodeValue, encodeValue } from '../core/values.js';
import type { NullCursorPolicy } from '../config/project.js';

/** Most boundary keys kept in a checkpoint; past this, a warning says dedup at the boundary is partial. */
export const MAX_BOUNDARY_KEYS = 100_000;

export interface CursorTrackerOptions {
  readonly stream: string;
  readonly columns: readonly Column[];
  readonly cursorColumn: string;
  /** Key columns; when empty the whole row identifies it (a hash of every value). */
  readonly primaryKey: readonly string[];
  readonly nullCursor: NullCursorPolicy;
  /** The checkpoint this read started from; rows on its boundary that were already delivered are skipped. */
  readonly previous: CursorState | undefined;
}

/**
 * Tracks the highest cursor value delivered and the keys of the rows that carry
 * it, and drops rows the previous run already delivered at its boundary.
 *
 * Why: reads are inclusive (`cursor >= last`), so rows committed later with the
 * same cursor value as the last run's maximum are not lost; the boundary keys
 * stop the rows that were delivered last time from landing twice (which matters
 * for `append`; `merge` would absorb them anyway).
 */
export class CursorTracker {
  readonly #options: CursorTrackerOptions;
  readonly #cursorIndex: number;
  readonly #keyIndexes: readonly number[];
  readonly #kind: Column['type']['kind'];
  readonly #skipValue: Value | undefined;
  readonly #skipKeys: ReadonlySet<string>;
  #max: Value = null;
  #maxKeys = new Set<string>();
  #skipped = 0;
  #overflow = false;

  constructor(options: CursorTrackerOptions) {
    this.#options = options;
    this.#cursorIndex = indexOfColumn(options.columns, options.cursorColumn, options.stream);
    this.#keyIndexes = options.primaryKey.map((k) => indexOfColumn(options.columns, k, options.stream));
    const column = options.columns[this.#cursorIndex];
    this.#kind = column?.type.kind ?? 'string';
    const prev = options.previous;
    if (prev && prev.value !== null && column) {
      this.#skipValue = decodeValue(column.type, prev.value);
      this.#skipKeys = new Set(prev.boundaryKeys);
      this.#max = this.#skipValue;
      this.#maxKeys = new Set(prev.boundaryKeys);
    } else {
      this.#skipValue = undefined;
      this.#skipKeys = new Set();
    }
  }

  /** Rows dropped because an earlier run delivered them. */
  get skipped(): number {
    return this.#skipped;
  }

  /** True when more rows shared the top cursor value than fit in a checkpoint. */
  get overflowed(): boolean {
    return this.#overflow;
  }

  /** Filter a batch's rows and advance the maximum. Returns the rows to write. */
  accept(rows: readonly Row[]): Row[] {
    const out: Row[] = [];
    for (const row of rows) {
      const value = row[this.#cursorIndex] ?? null;
      if (value === null) {
        if (this.#options.nullCursor === 'fail') {
          throw new DataError(`cursor column "${this.#options.cursorColumn}" is NULL`, {
            stream: this.#options.stream,
            rowKey: this.#rowKeyText(row),
            hint: 'set null_cursor: include (read them every run, pair with merge) or exclude',
          });
        }
        out.push(row);
        continue;
      }
      if (this.#skipValue !== undefined && compareValues(this.#kind, value, this.#skipValue) === 0) {
        const key = this.#rowKey(row);
        if (this.#skipKeys.has(key)) {
          this.#skipped++;
          continue;
        }
      }
      this.#advance(value, row);
      out.push(row);
    }
    return out;
  }

  /** The state to checkpoint after everything accepted so far is committed. */
  state(): CursorState {
    return {
      column: this.#options.cursorColumn,
      kind: this.#kind,
      value: encodeValue(this.#max),
      boundaryKeys: [...this.#maxKeys],
    };
  }

  #advance(value: Value, row: Row): void {
    const cmp = this.#max === null ? 1 : compareValues(this.#kind, value, this.#max);
    if (cmp < 0) return;
    if (cmp > 0) {
      this.#max = value;
      this.#maxKeys = new Set();
      this.#overflow = false;
    }
    if (this.#maxKeys.size < MAX_BOUNDARY_KEYS) this.#maxKeys.add(this.#rowKey(row));
    else this.#overflow = true;
  }

  #rowKey(row: Row): string {
    const values = this.#keyIndexes.length > 0 ? this.#keyIndexes.map((i) => row[i] ?? null) : row;
    const text = JSON.stringify(values.map((v) => encodeValue(v)));
    // Whole-row identities are hashed so checkpoints stay small.
    return this.#keyIndexes.length > 0 ? text : createHash('sha1').update(text).digest('base64url');
  }

  #rowKeyText(row: Row): string {
    return this.#keyIndexes.length > 0 ? this.#rowKey(row) : '(no primary key)';
  }
}

function indexOfColumn(columns: readonly Column[], name: string, stream: string): number {
  const index = columns.findIndex((c) => c.name === name);
  if (index < 0) {
    throw new DataError(`column "${name}" is not among the stream's columns (${columns.map((c) => c.name).join(', ')})`, {
      stream,
      hint: 'check the cursor / primary_key settings and the columns include list',
    });
  }
  return index;
}
