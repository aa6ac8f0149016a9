/**
 * Schema contracts, in the style of dlt: what a stream may change about its
 * target table. Three entities, each with one of four modes:
 *
 * | entity      | checked when                                            |
 * |-------------|---------------------------------------------------------|
 * | `tables`    | the target table does not exist yet                     |
 * | `columns`   | the source has columns the existing target lacks        |
 * | `data_type` | a source column's type does not fit the target column's and no safe widening exists |
 *
 * | mode            | effect                                                             |
 * |-----------------|--------------------------------------------------------------------|
 * | `evolve`        | change the target (create it, add the column, add a variant column) |
 * | `freeze`        | fail the stream naming what changed; nothing is written            |
 * | `discard_row`   | drop the rows that would need the change (counted on the run)      |
 * | `discard_value` | drop only the values that would need the change (counted)         |
 *
 * As in dlt, `discard_value` on `tables` discards the whole table's rows (a
 * table has no "value" to drop), and a new table accepts all its columns.
 */

export const CONTRACT_MODES = ['evolve', 'freeze', 'discard_row', 'discard_value'] as const;
export type ContractMode = (typeof CONTRACT_MODES)[number];

export const CONTRACT_ENTITIES = ['tables', 'columns', 'data_type'] as const;
export type ContractEntity = (typeof CONTRACT_ENTITIES)[number];

/** A fully resolved contract: one mode per entity. */
export type SchemaContract = { readonly [E in ContractEntity]: ContractMode };

/** What a user may write: one mode for all entities, or some entities. */
export type SchemaContractSetting = ContractMode | { readonly [E in ContractEntity]?: ContractMode };

/**
 * Ferry's default. Unlike dlt (whose default evolves data types into variant
 * columns), a type the target cannot hold fails the stream: Ferry never
 * changes a value or splits a column unless asked to.
 */
export const DEFAULT_SCHEMA_CONTRACT: SchemaContract = Object.freeze({ tables: 'evolve', columns: 'evolve', data_type: 'freeze' });

/** `freeze` -> every entity `freeze`; an object keeps only the entities it names. */
export function expandContract(setting: SchemaContractSetting | undefined): Partial<SchemaContract> {
  if (setting === undefined) return {};
  if (typeof setting === 'string') return { tables: setting, columns: setting, data_type: setting };
  return Object.fromEntries(Object.entries(setting).filter(([, mode]) => mode !== undefined)) as Partial<SchemaContract>;
}

/**
 * Entity by entity, the first level that sets it wins (stream, then sync
 * defaults, then Ferry's default).
 *
 * @example resolveContract([{ columns: 'freeze' }, 'discard_row']) // { tables: 'discard_row', columns: 'freeze', data_type: 'discard_row' }
 */
export function resolveContract(levels: readonly Partial<SchemaContract>[]): SchemaContract {
  const pick = (entity: ContractEntity): ContractMode => levels.find((level) => level[entity] !== undefined)?.[entity] ?? DEFAULT_SCHEMA_CONTRACT[entity];
  return { tables: pick('tables'), columns: pick('columns'), data_type: pick('data_type') };
}

/** `tables=evolve, columns=freeze, data_type=freeze`, for logs. */
export function contractText(contract: SchemaContract): string {
  return CONTRACT_ENTITIES.map((e) => `${e}=${contract[e]}`).join(', ');
}

/** What a contract dropped from one stream, kept on its run record. */
export interface ContractReport {
  /** Rows not written because of `discard_row` (or a discarded table). */
  readonly rowsDiscarded: number;
  /** Values written as NULL (or left out) because of `discard_value`. */
  readonly valuesDiscarded: number;
  /** Per column: rows and values discarded because of it. */
  readonly columns: Readonly<Record<string, { readonly rows: number; readonly values: number }>>;
  /** Target columns widened in place, as `name: from -> to`. */
  readonly widened: readonly string[];
  /** Variant columns added by `data_type: evolve`. */
  readonly variants: readonly string[];
  /** Set when the target did not exist and `tables` discarded the stream's rows. */
  readonly tableDiscarded: boolean;
}

/** One line for `ferry logs`: what was discarded, widened and split; empty when nothing. */
export function contractSummary(report: ContractReport): string {
  const parts = [
    ...(report.tableDiscarded ? ['target missing: every row discarded (schema_contract.tables)'] : []),
    ...(report.rowsDiscarded + report.valuesDiscarded > 0 ? [`discarded ${report.rowsDiscarded} rows and ${report.valuesDiscarded} values`] : []),
    ...Object.entries(report.columns).map(([column, n]) => `${column}: ${n.rows} rows, ${n.values} values`),
    ...report.widened.map((w) => `widened ${w}`),
    ...report.variants.map((v) => `variant column ${v}`),
  ];
  return parts.join('; ');
}
