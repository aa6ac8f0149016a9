import { DataError } from '../core/errors.js';
import type { ContractReport } from '../core/schema-contract.js';
import { logicalTypeText, type Batch, type Row, type Value } from '../core/schema.js';
import { fitValue, NO_FIT } from '../core/value-fit.js';
import type { ContractPlan } from './contract-plan.js';

/**
 * Applies a contract plan to batches: drops rows (`discard_row`), NULLs values
 * (`discard_value`), moves values into variant columns (`evolve`) and converts
 * values into widened types. Counts everything it drops, per column, for the
 * run record: nothing is discarded silently.
 */
export class ContractBatches {
  readonly #plan: ContractPlan;
  readonly #stream: string;
  #rowsDiscarded = 0;
  #valuesDiscarded = 0;
  readonly #perColumn = new Map<string, { rows: number; values: number }>();

  constructor(plan: ContractPlan, stream: string) {
    this.#plan = plan;
    this.#stream = stream;
  }

  /** The batch as the plan's columns; rows the contract discards are left out. */
  apply(batch: Batch): Batch {
    if (!this.#plan.transforms) return batch;
    const rows: Row[] = [];
    for (const row of batch.rows) {
      const out = this.#row(row);
      if (out) rows.push(out);
    }
    return { columns: this.#plan.columns, rows, ...(batch.bytes !== undefined ? { bytes: batch.bytes } : {}) };
  }

  /** Every row of a batch discarded (the target table was discarded). */
  discardAll(batch: Batch): void {
    this.#rowsDiscarded += batch.rows.length;
  }

  report(): ContractReport {
    return {
      rowsDiscarded: this.#rowsDiscarded,
      valuesDiscarded: this.#valuesDiscarded,
      columns: Object.fromEntries(this.#perColumn),
      widened: this.#plan.widened,
      variants: this.#plan.variants,
      tableDiscarded: this.#plan.discardTable,
    };
  }

  #row(row: Row): Row | undefined {
    const plan = this.#plan;
    const dropper = plan.dropRowsWith.find((c) => (row[c.from] ?? null) !== null);
    if (dropper) return this.#dropRow(dropper.name);
    const out: Value[] = new Array<Value>(plan.sources.length);
    const missed = new Set<number>();
    for (const [i, source] of plan.sources.entries()) {
      const value = row[source.from] ?? null;
      if (source.kind === 'copy') {
        out[i] = value;
        continue;
      }
      if (source.kind === 'variant') {
        out[i] = missed.has(source.of) ? value : null;
        continue;
      }
      const fitted = fitValue(value, source.fromType, source.toType);
      if (fitted !== NO_FIT) {
        out[i] = fitted;
        continue;
      }
      const name = plan.columns[i]?.name ?? '';
      if (source.onMiss === 'discard_row') return this.#dropRow(name);
      if (source.onMiss === 'fail') throw this.#cannotConvert(name, value, source);
      if (source.notNull) throw this.#notNullable(name, value, source);
      if (source.onMiss === 'discard_value') this.#count(name, 'values');
      missed.add(i);
      out[i] = null;
    }
    for (const column of plan.dropValuesOf) if ((row[column.from] ?? null) !== null) this.#count(column.name, 'values');
    return out;
  }

  #dropRow(column: string): undefined {
    this.#count(column, 'rows');
    return undefined;
  }

  #count(column: string, what: 'rows' | 'values'): void {
    const entry = this.#perColumn.get(column) ?? { rows: 0, values: 0 };
    entry[what] += 1;
    this.#perColumn.set(column, entry);
    if (what === 'rows') this.#rowsDiscarded += 1;
    else this.#valuesDiscarded += 1;
  }

  #notNullable(column: string, value: Value, source: Extract<ContractPlan['sources'][number], { kind: 'fit' }>): DataError {
    return new DataError(
      `column "${column}" is NOT NULL in the target, so the ${logicalTypeText(source.fromType)} value ${String(value)} that ${logicalTypeText(source.toType)} cannot hold cannot be replaced by NULL (schema_contract.data_type: ${source.onMiss === 'variant' ? 'evolve' : source.onMiss})`,
      { stream: this.#stream, key: 'schema_contract.data_type', hint: 'use schema_contract.data_type: discard_row, or make the target column nullable' },
    );
  }

  /** A widening that cannot hold a value means the source broke its own declared type: never guess. */
  #cannotConvert(column: string, value: Value, source: Extract<ContractPlan['sources'][number], { kind: 'fit' }>): DataError {
    return new DataError(
      `column "${column}": the value ${String(value)} is not a ${logicalTypeText(source.fromType)} that ${logicalTypeText(source.toType)} can hold`,
      { stream: this.#stream, hint: 'the source sent a value outside its declared type; check the source column' },
    );
  }
}
