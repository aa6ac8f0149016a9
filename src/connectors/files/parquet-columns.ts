import { DuckDBBlobValue, type DuckDBValue } from '@duckdb/node-api';
import type { Column, LogicalKind, LogicalType, Value } from '../../core/schema.js';
import { canonicalDecimal, canonicalTime, canonicalTimetz, microsToTimestamp } from '../../core/values.js';
import { intervalIso } from './interval-text.js';
import { quoteIdentifier, type StoredColumn } from './parquet-meta.js';

/**
 * How one Parquet column (as DuckDB types it) is read: the SQL expression that
 * selects it in a lossless form, its logical type, and the JS conversion of
 * the value DuckDB returns. Text casts do the exact work for decimals, huge
 * integers, uuids and nested values; timestamps travel as epoch microseconds.
 */
export interface ParquetColumnPlan {
  readonly column: Column;
  readonly expression: string;
  readonly convert: (value: DuckDBValue) => Value;
}

interface Mapping {
  readonly type: LogicalType;
  readonly select: (quoted: string) => string;
  readonly convert: (value: DuckDBValue) => Value;
}

const asIs = (value: DuckDBValue): Value => value as Value;
const asText = (value: DuckDBValue): Value => String(value);
// @duckdb/node-api decodes VARCHAR with a BOM-stripping decoder, so a string that
// starts with U+FEFF would lose it: text columns are selected as bytes and decoded here.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });
const asUtf8 = (value: DuckDBValue): Value => (value instanceof DuckDBBlobValue ? utf8.decode(value.bytes) : String(value));
const utf8Bytes = (q: string): string => `encode(CAST(${q} AS VARCHAR))`;
// DuckDB prints DECIMAL(4,2) -0.10 as "-.10".
const asDecimal = (value: DuckDBValue): Value => canonicalDecimal(String(value));

/**
 * A float32 as the shortest decimal that rounds to the same float32 (what
 * Postgres prints for `real`), so 1.1f reads as 1.1, not 1.100000023841858.
 */
function shortestFloat32(value: DuckDBValue): Value {
  const f = Number(value);
  if (!Number.isFinite(f) || f === 0) return f;
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(f.toPrecision(digits));
    if (Math.fround(candidate) === f) return candidate;
  }
  return f;
}
const cast = (to: string) => (q: string) => `CAST(${q} AS ${to})`;
const plain = (q: string): string => q;

const SIMPLE: Readonly<Record<string, Mapping>> = {
  BOOLEAN: { type: { kind: 'boolean' }, select: plain, convert: asIs },
  TINYINT: { type: { kind: 'int16' }, select: plain, convert: asIs },
  UTINYINT: { type: { kind: 'int16' }, select: plain, convert: asIs },
  SMALLINT: { type: { kind: 'int16' }, select: plain, convert: asIs },
  USMALLINT: { type: { kind: 'int32' }, select: plain, convert: asIs },
  INTEGER: { type: { kind: 'int32' }, select: plain, convert: asIs },
  UINTEGER: { type: { kind: 'int64' }, select: cast('BIGINT'), convert: asIs },
  BIGINT: { type: { kind: 'int64' }, select: plain, convert: asIs },
  UBIGINT: { type: { kind: 'decimal', precision: 20, scale: 0 }, select: cast('VARCHAR'), convert: asText },
  HUGEINT: { type: { kind: 'decimal', precision: 39, scale: 0 }, select: cast('VARCHAR'), convert: asText },
  UHUGEINT: { type: { kind: 'decimal', precision: 39, scale: 0 }, select: cast('VARCHAR'), convert: asText },
  BIGNUM: { type: { kind: 'decimal' }, select: cast('VARCHAR'), convert: asText },
  VARINT: { type: { kind: 'decimal' }, select: cast('VARCHAR'), convert: asText },
  FLOAT: { type: { kind: 'float32' }, select: plain, convert: shortestFloat32 },
  DOUBLE: { type: { kind: 'float64' }, select: plain, convert: asIs },
  VARCHAR: { type: { kind: 'string' }, select: utf8Bytes, convert: asUtf8 },
  JSON: { type: { kind: 'json' }, select: utf8Bytes, convert: asUtf8 },
  UUID: { type: { kind: 'uuid' }, select: cast('VARCHAR'), convert: asText },
  BLOB: { type: { kind: 'bytes' }, select: plain, convert: (v) => bytesOf(v) },
  // DuckDB prints a BC date `0044-03-15 (BC)`; canonical is `0044-03-15 BC`.
  DATE: { type: { kind: 'date' }, select: cast('VARCHAR'), convert: (v) => String(v).replace(' (BC)', ' BC') },
  TIME: { type: { kind: 'time' }, select: cast('VARCHAR'), convert: (v) => canonicalTime(String(v)) },
  TIME_NS: { type: { kind: 'time' }, select: (q) => `CAST(CAST(${q} AS TIME) AS VARCHAR)`, convert: (v) => canonicalTime(String(v)) },
  'TIME WITH TIME ZONE': { type: { kind: 'timetz' }, select: cast('VARCHAR'), convert: (v) => canonicalTimetz(String(v)) },
  TIMESTAMP: timestampMapping(false),
  TIMESTAMP_S: timestampMapping(false),
  TIMESTAMP_MS: timestampMapping(false),
  TIMESTAMP_NS: timestampMapping(false),
  'TIMESTAMP WITH TIME ZONE': timestampMapping(true),
  INTERVAL: { type: { kind: 'interval' }, select: plain, convert: (v) => intervalOf(v) },
};

/**
 * Infinite timestamps as int64 extremes: `epoch_us` gives NULL for them, and
 * no finite DuckDB timestamp reaches these microsecond counts.
 */
const INFINITY_MICROS = 9_223_372_036_854_775_807n;

function timestampMapping(zone: boolean): Mapping {
  return {
    type: { kind: zone ? 'timestamptz' : 'timestamp' },
    // Nanosecond timestamps keep microseconds (the canonical precision).
    select: (q) => `CASE WHEN isinf(${q}) THEN (CASE WHEN CAST(${q} AS VARCHAR) = 'infinity' THEN ${INFINITY_MICROS} ELSE -${INFINITY_MICROS} END) ELSE epoch_us(${q}) END`,
    convert: (v) => {
      const micros = BigInt(v as bigint);
      if (micros === INFINITY_MICROS || micros === -INFINITY_MICROS) return micros > 0n ? 'infinity' : '-infinity';
      return microsToTimestamp(micros, zone);
    },
  };
}

function bytesOf(value: DuckDBValue): Value {
  const bytes = (value as { bytes?: unknown }).bytes;
  return bytes instanceof Uint8Array ? bytes : new Uint8Array();
}

function intervalOf(value: DuckDBValue): Value {
  const v = value as { months: number; days: number; micros: bigint };
  return intervalIso(v.months, v.days, v.micros);
}

function mappingOf(duckType: string): Mapping {
  const simple = SIMPLE[duckType];
  if (simple) return simple;
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(duckType);
  if (decimal) {
    return { type: { kind: 'decimal', precision: Number(decimal[1]), scale: Number(decimal[2]) }, select: cast('VARCHAR'), convert: asDecimal };
  }
  if (duckType.endsWith(']') || /^(STRUCT|MAP|UNION)\(/.test(duckType)) {
    return { type: { kind: 'json' }, select: (q) => utf8Bytes(`to_json(${q})`), convert: asUtf8 };
  }
  // ENUM, BIT, GEOMETRY and anything newer: their text form.
  return { type: { kind: 'string' }, select: utf8Bytes, convert: asUtf8 };
}


/**
 * The read plan of a column. When Ferry wrote the file, the stored logical
 * kind wins for columns kept as text (json, interval, timetz, unconstrained
 * decimals): the values are already canonical text.
 */
export function parquetColumnPlan(name: string, duckType: string, stored: StoredColumn | undefined): ParquetColumnPlan {
  const mapping = mappingOf(duckType);
  const quoted = quoteIdentifier(name);
  const column = (type: LogicalType): Column => ({ name, type, nullable: true, sourceType: duckType, sourceEngine: 'files' });
  if (stored && duckType === 'VARCHAR' && stored.kind !== 'string') {
    const type: LogicalType = { kind: stored.kind, ...(stored.precision !== undefined ? { precision: stored.precision, scale: stored.scale ?? 0 } : {}) };
    return { column: column(type), expression: utf8Bytes(quoted), convert: asUtf8 };
  }
  if (stored && (stored.kind === 'int16' || stored.kind === 'int32') && mapping.type.kind !== stored.kind) {
    return { column: column({ kind: stored.kind }), expression: mapping.select(quoted), convert: mapping.convert };
  }
  return { column: column(mapping.type), expression: mapping.select(quoted), convert: mapping.convert };
}
