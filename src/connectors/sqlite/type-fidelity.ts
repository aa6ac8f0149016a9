import type { Column } from '../../core/schema.js';
import { type FidelityTable, fidelityOf, type TypeFidelity } from '../../core/type-fidelity.js';
import { affinityOf, declaredTypeOf } from './type-map.js';

const ISO_TEXT = 'canonical ISO 8601 text; the declared name tells Ferry the kind on the way back';

/**
 * SQLite has five storage classes (NULL, INTEGER, REAL, TEXT, BLOB), so only
 * integers, text and bytes are held natively; everything else follows the
 * declared-name mapping of type-map.ts.
 */
const TABLE: FidelityTable = {
  boolean: ['mapped', 'BOOLEAN', 'INTEGER 0/1 (SQLite has no boolean)'],
  int16: ['exact', 'SMALLINT'],
  int32: ['exact', 'INT'],
  int64: ['exact', 'BIGINT'],
  float32: ['mapped', 'FLOAT4', 'REAL (a double; the float32 value is kept); -0.0 becomes 0 and NaN is the text NaN (SQLite has no negative zero and stores a NaN double as NULL)'],
  float64: ['mapped', 'DOUBLE', 'REAL; -0.0 becomes 0 and NaN is the text NaN (SQLite has no negative zero and stores a NaN double as NULL)'],
  decimal: ['mapped', 'DECIMAL_TEXT', 'exact decimal text (TEXT affinity): a DECIMAL column would turn 12.30 into the float 12.3'],
  string: ['exact', 'TEXT'],
  bytes: ['exact', 'BLOB'],
  json: ['mapped', 'JSON_TEXT', 'the JSON text as given (TEXT); SQLite has no JSON type, its json functions read the text'],
  uuid: ['mapped', 'UUID_TEXT', 'lower-case text'],
  date: ['mapped', 'DATE_TEXT', ISO_TEXT],
  time: ['mapped', 'TIME_TEXT', ISO_TEXT],
  timetz: ['mapped', 'TIMETZ_TEXT', `${ISO_TEXT}, with the offset`],
  timestamp: ['mapped', 'TIMESTAMP_TEXT', ISO_TEXT],
  timestamptz: ['mapped', 'TIMESTAMPTZ_TEXT', `${ISO_TEXT}, in UTC with Z`],
  interval: ['mapped', 'INTERVAL_TEXT', 'ISO 8601 duration text (SQLite has no interval type)'],
  // INTERVAL_TEXT has INTEGER affinity (the name contains INT); harmless: a duration starts with P, never converted.
};

/** How a SQLite destination holds a column (see TABLE). */
export function sqliteTypeFidelity(column: Column): TypeFidelity {
  const declared = declaredTypeOf(column);
  const fidelity = fidelityOf(TABLE, column.type.kind);
  return { ...fidelity, nativeType: `${declared} (${affinityOf(declared)} affinity)` };
}
