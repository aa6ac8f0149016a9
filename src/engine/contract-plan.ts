import type { TargetTable, WriteMode } from '../core/connector.js';
import { SchemaChangeError } from '../core/errors.js';
import type { SchemaContract } from '../core/schema-contract.js';
import { logicalTypeText, type Column, type LogicalType } from '../core/schema.js';
import { compareTypes, sameType } from '../core/type-widening.js';

/**
 * A stream's columns compared with its existing target under its schema
 * contract: what to write, which target columns to widen, and what to do with
 * each row on the way. Destination-independent; `contract-batches.ts` applies
 * it to batches, the destination carries out the widening.
 */

/** How one written column gets its value from a source row. */
export type ColumnSource =
  /** The source value as it is. */
  | { readonly kind: 'copy'; readonly from: number }
  /** The source value converted to the written column's type; `onMiss` when it does not fit. */
  | {
      readonly kind: 'fit';
      readonly from: number;
      readonly fromType: LogicalType;
      readonly toType: LogicalType;
      readonly onMiss: 'fail' | 'discard_row' | 'discard_value' | 'variant';
      /** The target column is NOT NULL: a value that does not fit cannot become NULL. */
      readonly notNull: boolean;
    }
  /** A variant column: the source value where the main column `of` could not hold it, else NULL. */
  | { readonly kind: 'variant'; readonly from: number; readonly of: number };

export interface ContractPlan {
  /** The target does not exist and `tables` discards the stream: nothing is written. */
  readonly discardTable: boolean;
  /** Columns of the open request, in order. */
  readonly columns: readonly Column[];
  readonly sources: readonly ColumnSource[];
  /** New source columns (`columns: discard_row`): a non-NULL value drops its row. */
  readonly dropRowsWith: readonly { readonly name: string; readonly from: number }[];
  /** New source columns (`columns: discard_value`): left out, non-NULL values counted. */
  readonly dropValuesOf: readonly { readonly name: string; readonly from: number }[];
  /** Columns to widen in the target (names as the request spells them). */
  readonly widen: readonly string[];
  /** `name: from -> to` for each widened column, for logs and the run record. */
  readonly widened: readonly string[];
  readonly variants: readonly string[];
  /** False when every written column is a plain copy: batches pass unchanged (and raw pass-through stays possible). */
  readonly transforms: boolean;
}

export interface ContractInput {
  readonly stream: string;
  readonly targetLabel: string;
  readonly columns: readonly Column[];
  readonly write: WriteMode;
  readonly contract: SchemaContract;
  readonly target: TargetTable | undefined;
}

/** Name of the column holding values of `kind` that column `name` cannot hold (dlt's convention). */
export function variantName(name: string, type: LogicalType): string {
  return `${name}__v_${type.kind}`;
}

/**
 * Compare and decide. Throws SchemaChangeError naming every violation of a
 * `freeze` at once.
 */
export function planContract(input: ContractInput): ContractPlan {
  if (!input.target) return newTablePlan(input);
  return new PlanBuilder(input, input.target).build();
}

function copyAll(columns: readonly Column[]): ColumnSource[] {
  return columns.map((_, from) => ({ kind: 'copy', from }));
}

function newTablePlan(input: ContractInput): ContractPlan {
  const { contract } = input;
  if (contract.tables === 'freeze') {
    throw new SchemaChangeError(`target ${input.targetLabel} does not exist and schema_contract.tables is freeze`, {
      stream: input.stream,
      key: 'schema_contract.tables',
      hint: 'create the table yourself, or set schema_contract.tables: evolve for the run that creates it',
    });
  }
  // A new table takes every column it is given (dlt: columns evolve on a new table).
  const empty = { dropRowsWith: [], dropValuesOf: [], widen: [], widened: [], variants: [], transforms: false };
  return { ...empty, discardTable: contract.tables !== 'evolve', columns: input.columns, sources: copyAll(input.columns) };
}

class PlanBuilder {
  readonly #input: ContractInput;
  readonly #target: TargetTable;
  readonly #columns: Column[] = [];
  readonly #sources: ColumnSource[] = [];
  readonly #dropRowsWith: { name: string; from: number }[] = [];
  readonly #dropValuesOf: { name: string; from: number }[] = [];
  readonly #widen: string[] = [];
  readonly #widened: string[] = [];
  readonly #variants: string[] = [];
  readonly #newColumns: string[] = [];
  readonly #typeProblems: string[] = [];

  constructor(input: ContractInput, target: TargetTable) {
    this.#input = input;
    this.#target = target;
  }

  build(): ContractPlan {
    this.#input.columns.forEach((column, from) => this.#one(column, from));
    this.#refuseFrozen();
    return {
      discardTable: false,
      columns: this.#columns,
      sources: this.#sources,
      dropRowsWith: this.#dropRowsWith,
      dropValuesOf: this.#dropValuesOf,
      widen: this.#widen,
      widened: this.#widened,
      variants: this.#variants,
      transforms: this.#dropRowsWith.length + this.#dropValuesOf.length > 0 || this.#sources.some((s) => s.kind !== 'copy'),
    };
  }

  #find(name: string): Column | undefined {
    const columns = this.#target.columns;
    const exact = columns.find((c) => c.name === name);
    if (exact || !this.#target.namesIgnoreCase) return exact;
    return columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
  }

  #one(column: Column, from: number): void {
    const existing = this.#find(column.name);
    if (!existing) return this.#newColumn(column, from);
    const fit = compareTypes(column.type, existing.type);
    if (fit.kind === 'holds') return this.#holds(column, existing, from);
    if (fit.kind === 'widen') {
      // replace builds a new table from the request's types: nothing to alter in place.
      const refusal = this.#input.write === 'replace' ? undefined : this.#target.widenRefusal(existing.name, fit.to);
      if (refusal === undefined) return this.#widenTo(column, existing, fit.to, from);
      return this.#unsafe(column, existing, from, `narrowing: ${refusal}`);
    }
    this.#unsafe(column, existing, from, fit.reason);
  }

  #newColumn(column: Column, from: number): void {
    switch (this.#input.contract.columns) {
      case 'evolve':
        this.#add(column, { kind: 'copy', from });
        return;
      case 'freeze':
        this.#newColumns.push(column.name);
        return;
      case 'discard_row':
        this.#dropRowsWith.push({ name: column.name, from });
        return;
      case 'discard_value':
        this.#dropValuesOf.push({ name: column.name, from });
    }
  }

  #holds(column: Column, existing: Column, from: number): void {
    if (sameType(column.type, existing.type)) {
      this.#add(column, { kind: 'copy', from });
      return;
    }
    // Values already in the target's form: stage them as the source has them and let the
    // database widen them on insert (binary pass-through stays possible).
    if (this.#input.write !== 'replace' && sameForm(column.type, existing.type)) {
      this.#add(column, { kind: 'copy', from });
      return;
    }
    // The target's (wider) type is kept, also by replace: a table never narrows by itself.
    this.#add(asTyped(column, existing, existing.type), this.#fit(column, existing.type, from, 'fail'));
  }

  #widenTo(column: Column, existing: Column, to: LogicalType, from: number): void {
    // Widened to the source's own type: values pass as they are (raw pass-through stays possible).
    const source: ColumnSource = sameType(to, column.type) ? { kind: 'copy', from } : this.#fit(column, to, from, 'fail');
    this.#add(asTyped(column, existing, to), source);
    if (this.#input.write !== 'replace') this.#widen.push(column.name);
    this.#widened.push(`${existing.name}: ${logicalTypeText(existing.type)} -> ${logicalTypeText(to)}`);
  }

  #unsafe(column: Column, existing: Column, from: number, reason: string): void {
    const mode = this.#input.contract.data_type;
    if (mode === 'freeze') {
      this.#typeProblems.push(
        `column "${column.name}" of ${this.#input.targetLabel}: source ${logicalTypeText(column.type)} does not fit target ${logicalTypeText(existing.type)} (${reason})`,
      );
      return;
    }
    const main = this.#columns.length;
    this.#add(asTyped(column, existing, existing.type), { ...this.#fit(column, existing.type, from, mode === 'evolve' ? 'variant' : mode), notNull: !existing.nullable });
    if (mode !== 'evolve') return;
    const name = variantName(existing.name, column.type);
    const variantColumn = this.#find(name);
    if (variantColumn && compareTypes(column.type, variantColumn.type).kind !== 'holds') {
      this.#typeProblems.push(`variant column "${name}" of ${this.#input.targetLabel} is ${logicalTypeText(variantColumn.type)} and cannot hold ${logicalTypeText(column.type)}`);
      return;
    }
    this.#add({ ...column, name: variantColumn?.name ?? name, nullable: true }, { kind: 'variant', from, of: main });
    this.#variants.push(variantColumn?.name ?? name);
  }

  #fit(column: Column, to: LogicalType, from: number, onMiss: 'fail' | 'discard_row' | 'discard_value' | 'variant'): Extract<ColumnSource, { kind: 'fit' }> {
    return { kind: 'fit', from, fromType: column.type, toType: to, onMiss, notNull: false };
  }

  #add(column: Column, source: ColumnSource): void {
    this.#columns.push(column);
    this.#sources.push(source);
  }

  #refuseFrozen(): void {
    const { stream, targetLabel } = this.#input;
    const problems: string[] = [];
    if (this.#newColumns.length > 0) {
      problems.push(`the source has new column(s) ${this.#newColumns.map((n) => `"${n}"`).join(', ')} that target ${targetLabel} lacks, and schema_contract.columns is freeze`);
    }
    problems.push(...this.#typeProblems);
    if (problems.length === 0) return;
    const hint = [
      ...(this.#newColumns.length > 0 ? ['add the columns to the target, or set schema_contract.columns (evolve, discard_row, discard_value)'] : []),
      ...(this.#typeProblems.length > 0 ? ['widen the target or set schema_contract.data_type (discard_row, discard_value, evolve)'] : []),
    ].join('; ');
    throw new SchemaChangeError(problems.join('\n  '), { stream, key: this.#typeProblems.length > 0 ? 'schema_contract.data_type' : 'schema_contract.columns', hint });
  }
}

/**
 * Values of both types have the same canonical form and the database casts
 * one into the other exactly (int16 into int32, varchar(5) into text,
 * decimal(8,2) into decimal(12,4), timestamp(3) into timestamp). Not float32
 * into float64: a float32 travels as its shortest decimal, so it is converted
 * by `fitValue`, and never across kinds.
 */
function sameForm(source: LogicalType, target: LogicalType): boolean {
  const small = new Set(['int16', 'int32']);
  return source.kind === target.kind || (small.has(source.kind) && small.has(target.kind));
}

/**
 * The source column written with type `type`; keeps a native type only where
 * it still describes `type`. The source's name is kept (keys and cursors name
 * it; destinations that ignore case match it to the target's spelling).
 */
function asTyped(column: Column, existing: Column, type: LogicalType): Column {
  const native = sameType(type, column.type) ? column : sameType(type, existing.type) ? existing : undefined;
  const { sourceType: _dropType, sourceEngine: _dropEngine, ...plain } = column;
  return {
    ...plain,
    type,
    ...(native?.sourceType !== undefined ? { sourceType: native.sourceType } : {}),
    ...(native?.sourceEngine !== undefined ? { sourceEngine: native.sourceEngine } : {}),
  };
}
