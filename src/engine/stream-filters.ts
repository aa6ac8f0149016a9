import { ConfigError } from '../core/errors.js';
import type { RowFilter } from '../core/row-filter.js';
import type { Column, LogicalKind, LogicalType, Value } from '../core/schema.js';
import { parseUserValue } from '../core/values.js';
import type { FilterConfig, FilterValueText, SourceLocation } from '../config/project.js';
import { suggestion } from '../config/did-you-mean.js';

/** Kinds whose values have no meaningful order or equality as text: filter them with `where` instead. */
const UNFILTERABLE: ReadonlySet<LogicalKind> = new Set(['json', 'bytes', 'interval']);

const DATE = /^-?\d{4,}-\d{2}-\d{2}$/;

/**
 * Turn a stream's configured filters into typed filters against the columns
 * the source described. An unknown column, a column of a kind that cannot be
 * compared, or a value that is not of the column's type is a ConfigError at the
 * filter's file:line:col.
 */
export function resolveFilters(configs: readonly FilterConfig[] | undefined, columns: readonly Column[], stream: string): RowFilter[] {
  return (configs ?? []).map((config) => {
    const column = columns.find((c) => c.name === config.column);
    if (!column) {
      const names = columns.map((c) => c.name);
      throw new ConfigError(`filter on unknown column "${config.column}"${suggestion(config.column, names)}`, {
        ...at(config.columnLocation, stream, 'filters'),
        hint: `columns of ${stream}: ${names.join(', ')}`,
      });
    }
    if (UNFILTERABLE.has(column.type.kind)) {
      throw new ConfigError(`column "${column.name}" is ${column.type.kind}: row filters compare numbers, text, uuids, booleans, dates and times`, {
        ...at(config.columnLocation, stream, 'filters'),
        hint: 'use a `where` predicate for this column',
      });
    }
    const parse = (raw: FilterValueText): Value => parseFilterValue(column.type, raw, config, stream);
    const value = Array.isArray(config.value) ? (config.value as readonly FilterValueText[]).map(parse) : parse(config.value as FilterValueText);
    return { column: column.name, type: column.type, op: config.op, value };
  });
}

function at(location: SourceLocation, stream: string, key: string): { file: string; line: number; column: number; stream: string; key: string } {
  return { file: location.file, line: location.line, column: location.column, stream, key };
}

/** A configured value as a canonical value of the column's type, exactly (no float for int64, decimals or timestamps). */
export function parseFilterValue(type: LogicalType, raw: FilterValueText, config: FilterConfig, stream: string): Value {
  if (raw === null) return null;
  const fail = (cause?: unknown): never => {
    throw new ConfigError(`filter value ${JSON.stringify(raw)} is not a valid ${type.kind} for column "${config.column}"`, {
      ...at(config.valueLocation, stream, 'filters'),
      ...(cause !== undefined ? { cause } : {}),
    });
  };
  if (type.kind === 'boolean') return raw === true || raw === 'true' ? true : raw === false || raw === 'false' ? false : fail();
  if (typeof raw === 'boolean') return fail();
  if (type.kind === 'string') return raw;
  if (type.kind === 'date') return DATE.test(raw) ? raw : fail();
  let value: Value;
  try {
    value = parseUserValue(type, raw.trim());
  } catch (error) {
    return fail(error);
  }
  if ((type.kind === 'int16' || type.kind === 'int32') && !Number.isInteger(value)) return fail();
  if (typeof value === 'number' && Number.isNaN(value)) return fail();
  return value;
}
