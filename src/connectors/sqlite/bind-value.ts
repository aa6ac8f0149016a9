import type { LogicalType, Value } from '../../core/schema.js';

/** What better-sqlite3 accepts as a parameter. */
export type SqliteParameter = null | number | bigint | string | Buffer;

/** Convert a canonical value to the parameter stored for it (see type-map.ts). Throws TypeError on a wrong JS type. */
export type BindValue = (value: Value) => SqliteParameter;

function wrongType(kind: string, value: Value): never {
  throw new TypeError(`expected a ${kind} value, got ${value instanceof Uint8Array ? 'bytes' : typeof value} ${JSON.stringify(String(value)).slice(0, 60)}`);
}

const bindBoolean: BindValue = (v) => (v === null ? null : typeof v === 'boolean' ? (v ? 1 : 0) : wrongType('boolean', v));

const bindInteger: BindValue = (v) => (v === null ? null : typeof v === 'number' && Number.isInteger(v) ? v : wrongType('integer', v));

const bindInt64: BindValue = (v) => {
  if (v === null || typeof v === 'bigint') return v;
  return typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : wrongType('int64', v);
};

/** SQLite binds a NaN double as NULL; the TEXT 'NaN' survives REAL affinity. */
const bindFloat: BindValue = (v) => {
  if (v === null) return null;
  if (typeof v !== 'number') return wrongType('float', v);
  return Number.isNaN(v) ? 'NaN' : v;
};

const bindText: BindValue = (v) => (v === null || typeof v === 'string' ? v : wrongType('text', v));

const bindBytes: BindValue = (v) => {
  if (v === null) return null;
  if (!(v instanceof Uint8Array)) return wrongType('bytes', v);
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
};

/** The binder for one column's logical type. */
export function valueBinderFor(type: LogicalType): BindValue {
  switch (type.kind) {
    case 'boolean':
      return bindBoolean;
    case 'int16':
    case 'int32':
      return bindInteger;
    case 'int64':
      return bindInt64;
    case 'float32':
    case 'float64':
      return bindFloat;
    case 'bytes':
      return bindBytes;
    default:
      return bindText;
  }
}
