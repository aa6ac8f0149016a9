import { DataError } from '../../core/errors.js';
import type { LogicalType, Value } from '../../core/schema.js';

/**
 * A canonical value as a SQLite literal. Numbers and int64 are written as
 * numbers (exact: bigint prints every digit); everything else as a quoted
 * string with quotes doubled, bytes as a blob literal. SQLite applies the
 * compared column's affinity to the literal, so `'12.50'` meets a NUMERIC column as a number.
 */
export function sqliteLiteral(value: Value, type: LogicalType): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new DataError(`${String(value)} has no SQLite literal (${type.kind})`);
    return String(value);
  }
  if (value instanceof Uint8Array) return `X'${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}'`;
  if (value.includes('\0')) throw new DataError('a value with a NUL character cannot be written as a SQLite literal');
  return `'${value.replaceAll("'", "''")}'`;
}
