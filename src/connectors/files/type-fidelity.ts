import type { Column } from '../../core/schema.js';
import { type FidelityTable, fidelityOf, type TypeFidelity } from '../../core/type-fidelity.js';
import type { FileFormat } from './config.js';

const INFERRED = 'read back by type inference (or column_types)';
const TEXT = `text; ${INFERRED}`;

/** CSV has no types: every value is its canonical text (bytes base64, NULL an empty unquoted field). */
const CSV: FidelityTable = {
  boolean: ['mapped', 'text', `true/false; ${INFERRED}`],
  int16: ['mapped', 'text', `digits; read back as int64 (or column_types)`],
  int32: ['mapped', 'text', `digits; read back as int64 (or column_types)`],
  int64: ['mapped', 'text', TEXT],
  float32: ['mapped', 'text', `shortest exact text, NaN, Infinity; ${INFERRED}`],
  float64: ['mapped', 'text', `shortest exact text, NaN, Infinity; ${INFERRED}`],
  decimal: ['mapped', 'text', `exact decimal text (scale kept); ${INFERRED}`],
  string: ['mapped', 'text', `a string that looks like a number or date is ${INFERRED}; infer_types: false keeps every column a string`],
  bytes: ['mapped', 'text', `base64; read back as the base64 string (column_types: bytes decodes it)`],
  json: ['mapped', 'text', TEXT],
  uuid: ['mapped', 'text', TEXT],
  date: ['mapped', 'text', TEXT],
  time: ['mapped', 'text', TEXT],
  timetz: ['mapped', 'text', TEXT],
  timestamp: ['mapped', 'text', TEXT],
  timestamptz: ['mapped', 'text', TEXT],
  interval: ['mapped', 'text', `ISO 8601 duration; ${INFERRED}`],
};

const JSON_STRING = `JSON string of the canonical text; ${INFERRED}`;

/** JSONL holds booleans, numbers, strings and nested JSON; the rest are strings. */
const JSONL: FidelityTable = {
  boolean: ['exact', 'JSON true/false'],
  int16: ['mapped', 'JSON number', 'read back as int64 (JSON has one integer type)'],
  int32: ['mapped', 'JSON number', 'read back as int64 (JSON has one integer type)'],
  int64: ['exact', 'JSON number', 'every digit kept'],
  float32: ['mapped', 'JSON number', 'read back as float64; NaN and ±Infinity as the strings "NaN", "Infinity"'],
  float64: ['mapped', 'JSON number', 'NaN and ±Infinity as the strings "NaN", "Infinity" (JSON has no such numbers)'],
  decimal: ['mapped', 'JSON string', 'exact decimal text; read back as string'],
  string: ['mapped', 'JSON string', `a string that looks like a date or timestamp is ${INFERRED}`],
  bytes: ['mapped', 'JSON string', 'base64'],
  json: ['mapped', 'embedded JSON', 'embedded as a JSON value (line breaks in the text become spaces); the JSON value null reads back as SQL NULL (JSONL cannot tell them apart); read back as json when every value is an object or array'],
  uuid: ['mapped', 'JSON string', JSON_STRING],
  date: ['mapped', 'JSON string', JSON_STRING],
  time: ['mapped', 'JSON string', JSON_STRING],
  timetz: ['mapped', 'JSON string', JSON_STRING],
  timestamp: ['mapped', 'JSON string', JSON_STRING],
  timestamptz: ['mapped', 'JSON string', JSON_STRING],
  interval: ['mapped', 'JSON string', JSON_STRING],
};

const KIND_IN_METADATA = 'the logical kind is kept in the file metadata (ferry.columns), so Ferry reads it back as that kind; other readers see a string';

/** Parquet (written through DuckDB) has native types for most kinds. */
const PARQUET: FidelityTable = {
  boolean: ['exact', 'BOOLEAN'],
  int16: ['exact', 'INT32 (INT(16))'],
  int32: ['exact', 'INT32'],
  int64: ['exact', 'INT64'],
  float32: ['exact', 'FLOAT'],
  float64: ['exact', 'DOUBLE'],
  decimal: ['exact', 'DECIMAL(p,s)'],
  string: ['exact', 'BYTE_ARRAY (STRING)'],
  bytes: ['exact', 'BYTE_ARRAY'],
  json: ['mapped', 'BYTE_ARRAY (STRING)', `the JSON text verbatim (DuckDB's JSON cast would reformat it); ${KIND_IN_METADATA}`],
  uuid: ['exact', 'FIXED_LEN_BYTE_ARRAY(16) (UUID)'],
  date: ['exact', 'INT32 (DATE)'],
  time: ['exact', 'INT64 (TIME micros)'],
  timetz: ['mapped', 'BYTE_ARRAY (STRING)', `canonical text with the offset (Parquet TIME normalizes to UTC and drops it); ${KIND_IN_METADATA}`],
  timestamp: ['exact', 'INT64 (TIMESTAMP micros)'],
  timestamptz: ['exact', 'INT64 (TIMESTAMP micros, UTC)'],
  interval: ['mapped', 'BYTE_ARRAY (STRING)', `ISO 8601 duration text; ${KIND_IN_METADATA}`],
};

const BY_FORMAT: Readonly<Record<FileFormat, FidelityTable>> = { csv: CSV, jsonl: JSONL, parquet: PARQUET };

/** How a file of `format` holds a column (decimals past 38 digits are text in Parquet). */
export function filesTypeFidelity(column: Column, format: FileFormat): TypeFidelity {
  const { kind, precision } = column.type;
  if (format === 'parquet' && kind === 'decimal' && !(precision !== undefined && precision >= 1 && precision <= 38)) {
    return { level: 'mapped', nativeType: 'BYTE_ARRAY (STRING)', note: `exact decimal text (Parquet DECIMAL through DuckDB holds at most 38 digits); ${KIND_IN_METADATA}` };
  }
  return fidelityOf(BY_FORMAT[format], kind);
}
