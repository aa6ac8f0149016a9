import { DataError } from '../../core/errors.js';
import type { LogicalKind, Value } from '../../core/schema.js';
import type { InferenceOptions } from './config.js';
import { parseTextAs } from './text-values.js';
import { convertInferredText, isInferredTextKind } from './type-inference.js';

/** Where a cell sits, for messages. */
export interface CellPlace {
  readonly file: string;
  readonly line: number;
  readonly columnIndex: number;
  readonly columnName: string;
}

/** The column a converter serves (its place is built only for an error: no object per cell). */
export interface CellColumn {
  readonly file: string;
  readonly index: number;
  readonly name: string;
}

/** Converts one column's text cells to canonical values; throws a DataError naming file, line and column. */
export type TextCellConverter = (text: string, line: number) => Value;

function placeOf(column: CellColumn, line: number): CellPlace {
  return { file: column.file, line, columnIndex: column.index, columnName: column.name };
}

function violation(text: string, place: CellPlace, kind: LogicalKind, why: string, hint: string, cause?: unknown): DataError {
  const shown = text.length > 60 ? `${JSON.stringify(text.slice(0, 60))}...` : JSON.stringify(text);
  return new DataError(`${place.file}: line ${place.line}, column "${place.columnName}": ${shown} ${why} ${kind}`, {
    file: place.file,
    line: place.line,
    column: place.columnIndex + 1,
    hint,
    cause,
  });
}

/**
 * The converter for a column of `kind`. Inferred kinds convert strictly (the
 * value must fit the rule that inferred the kind: never a silent coercion);
 * kinds the user set in `column_types` parse leniently.
 */
export function textCellConverter(kind: LogicalKind, column: CellColumn, inference: InferenceOptions): TextCellConverter {
  const name = column.name;
  const chosen = inference.columnTypes[name] !== undefined;
  if (kind === 'string' && !chosen) return (text) => text;
  if (!chosen && isInferredTextKind(kind)) {
    return (text, line) => {
      const value = convertInferredText(kind, text);
      if (value !== undefined) return value;
      throw violation(
        text,
        placeOf(column, line),
        kind,
        `does not fit the type inferred from the first ${inference.sampleRows} rows:`,
        `set column_types: { ${JSON.stringify(name)}: string } (or the kind it should be) on the connection, raise sample_rows, or set infer_types: false`,
      );
    };
  }
  return (text, line) => {
    try {
      return parseTextAs(kind, text);
    } catch (error) {
      throw violation(text, placeOf(column, line), kind, 'does not parse as', `fix the value or change column_types for "${name}"`, error);
    }
  };
}
