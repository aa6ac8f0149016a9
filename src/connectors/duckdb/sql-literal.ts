import { DataError } from '../../core/errors.js';
import type { LogicalKind, LogicalType, Value } from '../../core/schema.js';
import { quoteLiteral } from './sql-identifier.js';

/** Casts that make a quoted literal compare as its logical type. */
const CASTS: Readonly<Partial<Record<LogicalKind, string>>> = {
  uuid: 'UUID',
  date: 'DATE',
  time: 'TIME',
  timetz: 'TIMETZ',
  timestamp: 'TIMESTAMP',
  timestamptz: 'TIMESTAMPTZ',
  interval: 'INTERVAL',
  json: 'JSON',
};

/**
 * A canonical value as a DuckDB literal: numbers and decimals as exact number
 * text, booleans as TRUE/FALSE, bytes via from_hex, other text quoted (quotes
 * doubled) and cast to its type (`'2024-01-01T00:00:00Z'::TIMESTAMPTZ`).
 */
export function duckdbLiteral(value: Value, type: LogicalType): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return `'${String(value)}'::DOUBLE`;
    return String(value);
  }
  if (value instanceof Uint8Array) return `from_hex('${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}')`;
  if (value.includes('\0')) throw new DataError('a value with a NUL character cannot be written as a DuckDB literal');
  if (type.kind === 'decimal' && /^-?\d+(\.\d+)?$/.test(value)) return value;
  const cast = CASTS[type.kind];
  return cast === undefined ? quoteLiteral(value) : `${quoteLiteral(value)}::${cast}`;
}
