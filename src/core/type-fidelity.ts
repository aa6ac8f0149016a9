import type { Column, LogicalKind } from './schema.js';

/**
 * How faithfully a destination holds a column of one logical type.
 *
 * - `exact`: a native type of the same kind holds every value; Ferry reads back
 *   the same kind and the identical canonical value.
 * - `mapped`: stored as another native type by a documented mapping (SQLite has
 *   no interval type, so the ISO 8601 text; CSV has no types at all). The note
 *   says what a reader of the destination sees and which values change form.
 * - `refused`: the destination cannot hold the type; a write fails with an error.
 *
 * `ferry run --strict-types` refuses every stream with a column that is not
 * `exact`, before anything is written. docs/fidelity.md is the measured matrix.
 */
export const FIDELITY_LEVELS = ['exact', 'mapped', 'refused'] as const;
export type FidelityLevel = (typeof FIDELITY_LEVELS)[number];

export interface TypeFidelity {
  readonly level: FidelityLevel;
  /** The native type the destination stores the column as, e.g. `INTERVAL_TEXT (TEXT)`. */
  readonly nativeType: string;
  /** The mapping (for `mapped`) or the reason (for `refused`); empty for plain `exact`. */
  readonly note: string;
}

/** One row of a destination's fidelity table. */
export type FidelityEntry = readonly [level: FidelityLevel, nativeType: string, note?: string];

/** A destination's declaration for every logical kind, as a table. */
export type FidelityTable = Readonly<Record<LogicalKind, FidelityEntry>>;

/** The declaration of `kind` in `table` as a TypeFidelity. */
export function fidelityOf(table: FidelityTable, kind: LogicalKind): TypeFidelity {
  const [level, nativeType, note = ''] = table[kind];
  return { level, nativeType, note };
}

/** An `exact` declaration for a native type. */
export function exactAs(nativeType: string): TypeFidelity {
  return { level: 'exact', nativeType, note: '' };
}

/** A `mapped` declaration with its documented mapping. */
export function mappedAs(nativeType: string, note: string): TypeFidelity {
  return { level: 'mapped', nativeType, note };
}

/** Text for messages: `interval -> INTERVAL_TEXT (TEXT): ISO 8601 duration text`. */
export function fidelityText(column: Column, fidelity: TypeFidelity): string {
  return `${column.type.kind} -> ${fidelity.nativeType}${fidelity.note ? `: ${fidelity.note}` : ''}`;
}
