import { type FileHandle, open } from 'node:fs/promises';
import { DataError } from '../../core/errors.js';
import type { Column } from '../../core/schema.js';
import {
  ColumnChunkField,
  ColumnMetaDataField,
  DataPageHeaderField,
  Encoding,
  FileMetaDataField,
  footerTrailer,
  PageHeaderField,
  PageType,
  PARQUET_MAGIC,
  RowGroupField,
  SchemaElementField,
} from './parquet-footer.js';
import { encodeStruct, type ThriftField, type ThriftStruct, ThriftType, type ThriftValue } from './thrift-compact.js';

/**
 * Postgres binary COPY (raw format `pg-binary`) re-encoded as Parquet column
 * data without making a JavaScript value of any field: each field's bytes are
 * byte-swapped or shifted into the Parquet physical type's PLAIN encoding
 * (big-endian integers and floats to little-endian, timestamps and dates from
 * the 2000 epoch to 1970's, NUMERIC base-10000 digits to a scaled integer,
 * strings behind a little-endian length). The rows are cut into parts of
 * whole rows, and each part is written as a small uncompressed Parquet file of
 * one row group (columns `c0`, `c1`, ...) that DuckDB reads at memory speed:
 * the Parquet writer has it written out with the stream's codec
 * (parquet-writer.ts), the DuckDB destination has it inserted into its staging
 * table (duckdb/stream-writer.ts). The part files are
 * typed exactly as DuckDB types the values of the decoded path (the Parquet
 * schema DuckDB itself writes for them), so what Ferry lands holds the same
 * values either way; test/pg-parquet-pass-through.test.ts and
 * test/pg-duckdb-binary.test.ts compare them.
 */

/** How one column's binary fields become Parquet values. */
type BinaryKind = 'bool' | 'int16' | 'int32' | 'int64' | 'float32' | 'float64' | 'decimal' | 'decimal128' | 'numeric-text' | 'text' | 'jsonb' | 'uuid' | 'date' | 'time' | 'timestamp';

interface ColumnPlan {
  readonly kind: BinaryKind;
  readonly name: string;
  /** decimal: digits after the point. */
  readonly scale: number;
  /** decimal: total digits. */
  readonly precision: number;
  /** timestamp: with time zone (Parquet isAdjustedToUTC). */
  readonly zone: boolean;
  /** text: annotated UTF-8 (false for bytea). */
  readonly utf8: boolean;
}

/**
 * Decimals up to 18 digits travel as a scaled int64 (computed as JS numbers up
 * to 15 digits, exact below 2^53), up to 38 as a 16-byte two's complement
 * (DuckDB's HUGEINT decimals; wider ones are text in Parquet).
 */
const MAX_INT64_DECIMAL_DIGITS = 18;
const SAFE_DECIMAL_DIGITS = 15;
const MAX_DECIMAL_DIGITS = 38;

const TEXT_TYPES = /^(text|name|character varying(\(\d+\))?|character(\(\d+\))?)$/;
const NUMERIC_TYPE = /^numeric\((\d+),(\d+)\)$/;
const TIMESTAMP_TYPE = /^timestamp(\(\d\))? with(out)? time zone$/;
const TIME_TYPE = /^time(\(\d\))? without time zone$/;

/** The plan of one column, or undefined when its binary form is not re-encoded here. */
function planOf(column: Column): ColumnPlan | undefined {
  if (column.sourceEngine !== 'postgres' || column.sourceType === undefined) return undefined;
  const type = column.sourceType;
  const kind = column.type.kind;
  const plan = (k: BinaryKind, extra: Partial<ColumnPlan> = {}): ColumnPlan => ({ kind: k, name: column.name, scale: 0, precision: 0, zone: false, utf8: true, ...extra });
  if (type === 'boolean' && kind === 'boolean') return plan('bool');
  if (type === 'smallint' && kind === 'int16') return plan('int16');
  if (type === 'integer' && kind === 'int32') return plan('int32');
  if (type === 'bigint' && kind === 'int64') return plan('int64');
  if (type === 'real' && kind === 'float32') return plan('float32');
  if (type === 'double precision' && kind === 'float64') return plan('float64');
  if (kind === 'string' && TEXT_TYPES.test(type)) return plan('text');
  if (kind === 'json' && type === 'json') return plan('text');
  if (kind === 'json' && type === 'jsonb') return plan('jsonb');
  if (kind === 'bytes' && type === 'bytea') return plan('text', { utf8: false });
  if (kind === 'uuid' && type === 'uuid') return plan('uuid');
  if (kind === 'date' && type === 'date') return plan('date');
  if (kind === 'time' && TIME_TYPE.test(type)) return plan('time');
  const timestamp = TIMESTAMP_TYPE.exec(type);
  if (timestamp && (kind === 'timestamp' || kind === 'timestamptz') && (kind === 'timestamptz') === (timestamp[2] === undefined)) {
    return plan('timestamp', { zone: kind === 'timestamptz' });
  }
  // Unconstrained numerics are exact text in Parquet and DuckDB: Postgres's own text form, rendered here.
  if (kind === 'decimal' && type === 'numeric' && column.type.precision === undefined) return plan('numeric-text');
  const numeric = NUMERIC_TYPE.exec(type);
  if (numeric && kind === 'decimal') {
    const precision = Number(numeric[1]);
    const scale = Number(numeric[2]);
    if (precision >= 1 && column.type.precision === precision && (column.type.scale ?? 0) === scale) {
      if (precision > MAX_DECIMAL_DIGITS) return plan('numeric-text');
      return plan(precision <= MAX_INT64_DECIMAL_DIGITS ? 'decimal' : 'decimal128', { precision, scale });
    }
  }
  return undefined;
}

/**
 * The plans of these columns when every one of them (Postgres built-ins:
 * boolean, smallint, integer, bigint, real, double precision, numeric (up to
 * 38 digits as DECIMAL, unconstrained or wider as its text), text, varchar,
 * char, name, json, jsonb, bytea, uuid, date, time, timestamp, timestamptz)
 * can be re-encoded from binary COPY; else undefined.
 */
function pgBinaryPlans(columns: readonly Column[]): readonly ColumnPlan[] | undefined {
  if (columns.length === 0) return undefined;
  const plans: ColumnPlan[] = [];
  for (const column of columns) {
    const plan = planOf(column);
    if (!plan) return undefined;
    plans.push(plan);
  }
  return plans;
}

/** True when a binary COPY of these columns can come in as raw `pg-binary` (see `pgBinaryPlans`). */
export function takesPgBinary(columns: readonly Column[]): boolean {
  return pgBinaryPlans(columns) !== undefined;
}

/** Parquet enums (parquet.thrift). */
const PhysicalType = { BOOLEAN: 0, INT32: 1, INT64: 2, FLOAT: 4, DOUBLE: 5, BYTE_ARRAY: 6, FIXED_LEN_BYTE_ARRAY: 7 } as const;
const ConvertedType = { UTF8: 0, DECIMAL: 5, DATE: 6, TIME_MICROS: 8, TIMESTAMP_MICROS: 10, INT_16: 16, INT_32: 17, INT_64: 18 } as const;
const OPTIONAL = 1;
const UNCOMPRESSED = 0;

const i32 = (id: number, value: number): ThriftField => ({ id, type: ThriftType.i32, value });
const i64 = (id: number, value: number): ThriftField => ({ id, type: ThriftType.i64, value: BigInt(value) });
const struct = (id: number, fields: ThriftField[]): ThriftField => ({ id, type: ThriftType.struct, value: { kind: 'struct', fields } });
const text = (id: number, value: string): ThriftField => ({ id, type: ThriftType.binary, value: Buffer.from(value, 'utf8') });
const bool = (id: number, value: boolean): ThriftField => ({ id, type: value ? ThriftType.true : ThriftType.false, value });
const list = (id: number, elementType: number, items: ThriftValue[]): ThriftField => ({ id, type: ThriftType.list, value: { kind: 'list', type: ThriftType.list, elementType, items } });

function physicalOf(plan: ColumnPlan): number {
  switch (plan.kind) {
    case 'bool':
      return PhysicalType.BOOLEAN;
    case 'int16':
    case 'int32':
    case 'date':
      return PhysicalType.INT32;
    case 'int64':
    case 'decimal':
    case 'time':
    case 'timestamp':
      return PhysicalType.INT64;
    case 'float32':
      return PhysicalType.FLOAT;
    case 'float64':
      return PhysicalType.DOUBLE;
    case 'uuid':
    case 'decimal128':
      return PhysicalType.FIXED_LEN_BYTE_ARRAY;
    case 'text':
    case 'jsonb':
    case 'numeric-text':
      return PhysicalType.BYTE_ARRAY;
  }
}

/** The schema element of a column, annotated as DuckDB annotates the type it writes for these values. */
function schemaElement(plan: ColumnPlan, index: number): ThriftStruct {
  const F = SchemaElementField;
  const fields: ThriftField[] = [i32(F.type, physicalOf(plan))];
  if (plan.kind === 'uuid' || plan.kind === 'decimal128') fields.push(i32(F.typeLength, 16));
  fields.push(i32(F.repetitionType, OPTIONAL), text(F.name, `c${index}`));
  const converted = (type: number): void => {
    fields.push(i32(F.convertedType, type));
  };
  // LogicalType union members (parquet.thrift): 5 DECIMAL, 7 TIME, 8 TIMESTAMP, 14 UUID; TimeUnit 2 MICROS.
  switch (plan.kind) {
    case 'int16':
      converted(ConvertedType.INT_16);
      break;
    case 'int32':
      converted(ConvertedType.INT_32);
      break;
    case 'int64':
      converted(ConvertedType.INT_64);
      break;
    case 'date':
      converted(ConvertedType.DATE);
      break;
    case 'text':
    case 'jsonb':
    case 'numeric-text':
      if (plan.utf8) converted(ConvertedType.UTF8);
      break;
    case 'decimal':
    case 'decimal128':
      converted(ConvertedType.DECIMAL);
      fields.push(i32(F.scale, plan.scale), i32(F.precision, plan.precision), struct(F.logicalType, [struct(5, [i32(1, plan.scale), i32(2, plan.precision)])]));
      break;
    case 'time':
      converted(ConvertedType.TIME_MICROS);
      fields.push(struct(F.logicalType, [struct(7, [bool(1, false), struct(2, [struct(2, [])])])]));
      break;
    case 'timestamp':
      converted(ConvertedType.TIMESTAMP_MICROS);
      fields.push(struct(F.logicalType, [struct(8, [bool(1, plan.zone), struct(2, [struct(2, [])])])]));
      break;
    case 'uuid':
      fields.push(struct(F.logicalType, [struct(14, [])]));
      break;
    default:
      break;
  }
  return { kind: 'struct', fields };
}

/** NUMERIC's special values by their sign word, as Postgres prints them. */
const NUMERIC_SPECIALS: ReadonlyMap<number, Buffer> = new Map([
  [0xc000, Buffer.from('NaN')],
  [0xd000, Buffer.from('Infinity')],
  [0xf000, Buffer.from('-Infinity')],
]);

/** Microseconds from 1970-01-01 to 2000-01-01 (Postgres's epoch), split into 32-bit halves. */
const PG_EPOCH_MICROS = 946_684_800_000_000;
const EPOCH_HIGH = Math.floor(PG_EPOCH_MICROS / 2 ** 32);
const EPOCH_LOW = PG_EPOCH_MICROS - EPOCH_HIGH * 2 ** 32;
/** Days from 1970-01-01 to 2000-01-01. */
const PG_EPOCH_DAYS = 10_957;
const INT32_MAX = 0x7fffffff;
/** Postgres's `-infinity` date is INT32_MIN; DuckDB's is -INT32_MAX. */
const INT32_MIN = -0x80000000;
const POW10 = Array.from({ length: 40 }, (_, i) => 10 ** i);

/** A part file of whole rows, closed and ready to read. */
export interface BinaryPart {
  readonly index: number;
  readonly path: string;
  readonly rows: number;
  /** Rows of the stream before this part. */
  readonly firstRow: number;
}

/** Rows per part by default: one DuckDB row group. */
const PART_ROWS = 122_880;
/** Text bytes after which a part ends by default, so wide rows still make small parts. */
const PART_BYTES = 64 * 2 ** 20;

export interface PgBinaryPartsOptions {
  readonly columns: readonly Column[];
  /** Where part `index` is written (an existing file is replaced). */
  readonly pathOf: (index: number) => string;
  /** Rows per part (default 122,880, one DuckDB row group). */
  readonly partRows?: number;
  /** Value bytes after which the part ends at the next row (default 64 MiB). */
  readonly partBytes?: number;
  /** Called with each full part, in order. */
  readonly onPart: (part: BinaryPart) => Promise<void>;
  /** Named in errors. */
  readonly file: string;
}

/** Value buffers larger than this shrink when a part leaves three quarters unused. */
const SHRINK_ABOVE = 16 * 2 ** 20;
/** Bytes per PLAIN value of the fixed-width kinds. */
const FIXED_WIDTH: Partial<Record<BinaryKind, number>> = { int16: 4, int32: 4, float32: 4, date: 4, int64: 8, float64: 8, time: 8, timestamp: 8, decimal: 8, decimal128: 16, uuid: 16 };

/** One column's values of the part filling: PLAIN bytes and which rows are not NULL. */
class ColumnBuffer {
  values: Buffer;
  /** `values` for 2- to 8-byte loads and stores (DataView's are compiled to single instructions). */
  view: DataView;
  /** Bytes of `values` used (bits, for booleans). */
  used = 0;
  /** Bit r set: row r of the part is not NULL (the definition levels, bit-packed). */
  readonly defined: Uint8Array;
  /** Text and bytes: the buffer grows (and shrinks back) with the values. */
  readonly #variable: boolean;

  constructor(
    readonly plan: ColumnPlan,
    partRows: number,
  ) {
    this.defined = new Uint8Array(Math.ceil(partRows / 8));
    // Fixed-width values (booleans are bits): a part's worth is allocated once.
    const width = FIXED_WIDTH[plan.kind];
    this.#variable = width === undefined && plan.kind !== 'bool';
    this.values = Buffer.alloc(plan.kind === 'bool' ? Math.max(1, Math.ceil(partRows / 8)) : width !== undefined ? Math.max(1, partRows * width) : 1 << 16);
    this.view = viewOf(this.values);
  }

  reserve(bytes: number): void {
    if (this.used + bytes <= this.values.length) return;
    const grown = Buffer.alloc(Math.max(this.values.length * 2, this.used + bytes));
    this.values.copy(grown, 0, 0, this.used);
    this.values = grown;
    this.view = viewOf(grown);
  }

  reset(): void {
    // A text buffer grown for one part of huge values goes back to that part's size (or 64 KiB)
    // once a part uses under a quarter of it, so one 1 GB value does not hold 2 GB for the rest of the stream.
    if (this.#variable && this.values.length > SHRINK_ABOVE && this.used < this.values.length / 4) {
      this.values = Buffer.alloc(Math.max(1 << 16, this.used));
      this.view = viewOf(this.values);
    }
    if (this.plan.kind === 'bool') this.values.fill(0, 0, Math.ceil(this.used / 8));
    this.defined.fill(0);
    this.used = 0;
  }

  /** PLAIN value bytes written. */
  get valueBytes(): number {
    return this.plan.kind === 'bool' ? Math.ceil(this.used / 8) : this.used;
  }
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Signature, flags, header extension length. */
const HEADER_BYTES = SIGNATURE.length + 8;

/**
 * Cuts a binary COPY stream (header, tuples, trailer) into Parquet part files
 * of whole rows: `partRows` rows each, fewer when the values reach
 * `partBytes`. A row cut by a chunk boundary waits for the next chunk.
 */
export class PgBinaryParts {
  readonly #options: PgBinaryPartsOptions;
  /** The column buffers being filled. */
  #buffers: ColumnBuffer[];
  /** The other set: the last part's, while its file is written. */
  #spare: ColumnBuffer[];
  /** The last part's file write and hand-over, running while the next part fills. */
  #handing: Promise<void> = Promise.resolve();
  #headerRead = false;
  #ended = false;
  /** The pieces of a cut row (or header), their length, and how long it is at least. */
  #carry: Buffer[] | undefined;
  #carried = 0;
  #need = 0;
  #index = 0;
  /** Rows in the part filling. */
  #rows = 0;
  #firstRow = 0;
  #bytes = 0;
  readonly #partRows: number;
  readonly #partBytes: number;
  /** Every part's schema (the root and one element per column). */
  readonly #schema: ThriftField;

  constructor(options: PgBinaryPartsOptions) {
    this.#options = options;
    const plans = pgBinaryPlans(options.columns);
    if (!plans) throw new Error('these columns cannot come in as pg-binary');
    this.#partRows = options.partRows ?? PART_ROWS;
    this.#partBytes = options.partBytes ?? PART_BYTES;
    this.#buffers = plans.map((plan) => new ColumnBuffer(plan, this.#partRows));
    this.#spare = plans.map((plan) => new ColumnBuffer(plan, this.#partRows));
    const root: ThriftStruct = { kind: 'struct', fields: [text(SchemaElementField.name, 'schema'), i32(SchemaElementField.numChildren, plans.length)] };
    this.#schema = list(FileMetaDataField.schema, ThriftType.struct, [root, ...plans.map(schemaElement)]);
  }

  /** Parts ended so far (written, or being written and handed over). */
  get parts(): number {
    return this.#index;
  }

  /** Append binary COPY bytes; returns how many rows they completed. */
  async write(chunk: Uint8Array): Promise<number> {
    let bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#carry) {
      // A cut row: gather pieces (copied, the socket's buffer is reused) until it can be whole,
      // so a row spanning many reads is copied twice, not once per read.
      this.#carry.push(Buffer.from(bytes));
      this.#carried += bytes.length;
      if (this.#carried < this.#need) return 0;
      bytes = Buffer.concat(this.#carry, this.#carried);
      this.#carry = undefined;
    }
    let at = 0;
    if (!this.#headerRead) {
      const start = this.#header(bytes);
      if (start < 0) {
        this.#keep(bytes, 0, -start);
        return 0;
      }
      at = start;
      this.#headerRead = true;
    }
    const columns = this.#buffers.length;
    const view = viewOf(bytes);
    let completed = 0;
    const end = bytes.length;
    for (;;) {
      if (at + 2 > end) {
        if (at < end) this.#keep(bytes, at, 2);
        break;
      }
      if (this.#ended) throw this.#error('bytes follow the end of the binary COPY');
      const fields = view.getInt16(at);
      if (fields === -1) {
        this.#ended = true;
        at += 2;
        continue;
      }
      if (fields !== columns) throw this.#error(`a row has ${fields} fields, ${columns} columns were expected`);
      // The row's end, if it is all here; else at least how far it reaches.
      let p = at + 2;
      let whole = true;
      for (let i = 0; i < columns; i++) {
        if (p + 4 > end) {
          p += 4;
          whole = false;
          break;
        }
        const n = view.getInt32(p);
        p += 4 + (n > 0 ? n : 0);
        if (p > end) {
          whole = false;
          break;
        }
      }
      if (!whole) {
        this.#keep(bytes, at, p - at);
        break;
      }
      this.#row(bytes, view, at + 2);
      at = p;
      completed += 1;
      this.#rows += 1;
      if (this.#rows >= this.#partRows || this.#bytes >= this.#partBytes) await this.#endPart();
    }
    return completed;
  }

  /** Keep the bytes from `at` (a cut row or header) until at least `need` bytes of it are here. */
  #keep(bytes: Buffer, at: number, need: number): void {
    const kept = Buffer.from(bytes.subarray(at));
    this.#carry = [kept];
    this.#carried = kept.length;
    this.#need = need;
  }

  /** Where the tuples start, or minus the header's length when it is not all here. */
  #header(bytes: Buffer): number {
    if (bytes.length < HEADER_BYTES) return -HEADER_BYTES;
    if (!bytes.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw this.#error('the bytes do not start with the binary COPY signature');
    const flags = bytes.readUInt32BE(SIGNATURE.length);
    if ((flags & 0x10000) !== 0) throw this.#error('the binary COPY includes OIDs');
    const extension = bytes.readUInt32BE(SIGNATURE.length + 4);
    return bytes.length < HEADER_BYTES + extension ? -(HEADER_BYTES + extension) : HEADER_BYTES + extension;
  }

  #error(message: string): DataError {
    return new DataError(`cannot read binary COPY: ${message}`, { file: this.#options.file });
  }

  /** Move one row's fields (starting at `p`) into the column buffers. */
  #row(src: Buffer, sv: DataView, start: number): void {
    const row = this.#rows;
    const bit = 1 << (row & 7);
    const byte = row >> 3;
    let p = start;
    const buffers = this.#buffers;
    for (let i = 0; i < buffers.length; i++) {
      const n = sv.getInt32(p);
      p += 4;
      if (n < 0) continue;
      const column = buffers[i] as ColumnBuffer;
      column.defined[byte] = (column.defined[byte] as number) | bit;
      this.#value(column, src, sv, p, n);
      p += n;
    }
  }

  /** One non-NULL field of `n` bytes at `p` (`sv` views `src`), appended to its column's PLAIN values. */
  #value(column: ColumnBuffer, src: Buffer, sv: DataView, p: number, n: number): void {
    const plan = column.plan;
    const o = column.used;
    switch (plan.kind) {
      case 'text': {
        column.reserve(4 + n);
        column.view.setInt32(o, n, true);
        copyBytes(src, sv, p, column, o + 4, n);
        column.used = o + 4 + n;
        this.#bytes += n;
        return;
      }
      case 'jsonb': {
        if (n < 1 || src[p] !== 1) throw this.#valueError(plan, `jsonb version ${src[p]} is not 1`);
        column.reserve(3 + n);
        const length = n - 1;
        column.view.setInt32(o, length, true);
        copyBytes(src, sv, p + 1, column, o + 4, length);
        column.used = o + 4 + length;
        this.#bytes += n;
        return;
      }
      case 'int64':
      case 'float64':
      case 'time': // microseconds since midnight, as Parquet's TIME(MICROS)
        if (n !== 8) throw this.#sizeError(plan, n);
        // Big-endian to little-endian: each half reversed, the halves swapped.
        column.view.setInt32(o, sv.getInt32(p + 4), true);
        column.view.setInt32(o + 4, sv.getInt32(p), true);
        column.used = o + 8;
        return;
      case 'int32':
      case 'float32':
        if (n !== 4) throw this.#sizeError(plan, n);
        column.view.setInt32(o, sv.getInt32(p), true);
        column.used = o + 4;
        return;
      case 'int16':
        if (n !== 2) throw this.#sizeError(plan, n);
        column.view.setInt32(o, sv.getInt16(p), true);
        column.used = o + 4;
        return;
      case 'bool': {
        if (n !== 1) throw this.#sizeError(plan, n);
        if (src[p] !== 0) column.values[o >> 3] = (column.values[o >> 3] as number) | (1 << (o & 7));
        column.used = o + 1;
        return;
      }
      case 'uuid':
        if (n !== 16) throw this.#sizeError(plan, n);
        copyBytes(src, sv, p, column, o, 16);
        column.used = o + 16;
        return;
      case 'date': {
        if (n !== 4) throw this.#sizeError(plan, n);
        const days = sv.getInt32(p);
        // DuckDB's infinities are ±INT32_MAX; Postgres's -infinity is INT32_MIN.
        column.view.setInt32(o, days === INT32_MAX ? INT32_MAX : days === INT32_MIN ? -INT32_MAX : days + PG_EPOCH_DAYS, true);
        column.used = o + 4;
        return;
      }
      case 'timestamp':
        if (n !== 8) throw this.#sizeError(plan, n);
        this.#timestamp(plan, sv, p, column.view, o);
        column.used = o + 8;
        return;
      case 'decimal':
        this.#decimal(plan, sv, p, n, column.view, o);
        column.used = o + 8;
        return;
      case 'decimal128':
        this.#decimal(plan, sv, p, n, column.view, o);
        column.used = o + 16;
        return;
      case 'numeric-text': {
        if (n < 8) throw this.#sizeError(plan, n);
        const ndigits = sv.getInt16(p);
        const weight = sv.getInt16(p + 2);
        const dscale = sv.getUint16(p + 6);
        if (n !== 8 + 2 * ndigits || ndigits < 0) throw this.#sizeError(plan, n);
        // At most: a sign, 4 digits per base-10000 digit before the point (at least a 0), the point, dscale digits and a group's overrun.
        column.reserve(4 + 1 + 4 * Math.max(1, weight + 1) + 1 + dscale + 4);
        const length = this.#numericText(plan, sv, p, ndigits, weight, dscale, column.values, o + 4);
        column.view.setInt32(o, length, true);
        column.used = o + 4 + length;
        this.#bytes += length;
        return;
      }
    }
  }

  /**
   * NUMERIC as Postgres prints it (numeric_out): `NaN`, `Infinity`,
   * `-Infinity`, or an optional `-`, the integer digits (at least `0`), and
   * with a display scale the point and exactly that many digits (trailing
   * zeros kept, no exponent). Written at `o`; returns its length.
   */
  #numericText(plan: ColumnPlan, sv: DataView, p: number, ndigits: number, weight: number, dscale: number, out: Buffer, o: number): number {
    const sign = sv.getUint16(p + 4);
    if (sign !== 0 && sign !== 0x4000) {
      const special = NUMERIC_SPECIALS.get(sign);
      if (special === undefined) throw this.#valueError(plan, `numeric sign 0x${sign.toString(16)} is not a Postgres NUMERIC`);
      out.set(special, o);
      return special.length;
    }
    let q = o;
    if (sign === 0x4000) out[q++] = 0x2d; // '-'
    let d = 0;
    if (weight < 0) {
      out[q++] = 0x30;
      d = weight + 1;
    } else {
      for (; d <= weight; d++) {
        let digit = this.#numericDigit(plan, sv, p, ndigits, d);
        // The first group without its leading zeros; its last digit always.
        let put = d > 0;
        for (let unit = 1000; unit >= 10; unit /= 10) {
          const figure = Math.floor(digit / unit);
          digit -= figure * unit;
          put ||= figure > 0;
          if (put) out[q++] = 0x30 + figure;
        }
        out[q++] = 0x30 + digit;
      }
    }
    if (dscale > 0) {
      out[q++] = 0x2e; // '.'
      const end = q + dscale;
      for (; q < end; d++) {
        let digit = this.#numericDigit(plan, sv, p, ndigits, d);
        for (let unit = 1000; unit >= 1; unit /= 10) {
          const figure = Math.floor(digit / unit);
          digit -= figure * unit;
          out[q++] = 0x30 + figure;
        }
      }
      // The last group's digits past the scale are dropped.
      q = end;
    }
    return q - o;
  }

  /** NUMERIC base-10000 digit `d` (0 outside the stored ones: leading and trailing zeros are not stored). */
  #numericDigit(plan: ColumnPlan, sv: DataView, p: number, ndigits: number, d: number): number {
    const digit = d >= 0 && d < ndigits ? sv.getInt16(p + 8 + 2 * d) : 0;
    if (digit < 0 || digit > 9999) throw this.#valueError(plan, `a base-10000 digit of ${digit}`);
    return digit;
  }

  /** Microseconds since 2000 -> since 1970; the infinities as DuckDB's (±INT64_MAX). */
  #timestamp(plan: ColumnPlan, sv: DataView, p: number, out: DataView, o: number): void {
    const high = sv.getInt32(p);
    const low = sv.getUint32(p + 4);
    if (high === INT32_MAX && low === 0xffffffff) {
      out.setInt32(o, -1, true);
      out.setInt32(o + 4, INT32_MAX, true);
      return;
    }
    if (high === INT32_MIN && low === 0) {
      out.setInt32(o, 1, true);
      out.setInt32(o + 4, INT32_MIN, true);
      return;
    }
    let sumLow = low + EPOCH_LOW;
    let carry = 0;
    if (sumLow >= 2 ** 32) {
      sumLow -= 2 ** 32;
      carry = 1;
    }
    const sumHigh = high + EPOCH_HIGH + carry;
    // Past DuckDB's last timestamp (294247 AD; Postgres goes to 294276): its infinity or beyond.
    if (sumHigh > INT32_MAX || (sumHigh === INT32_MAX && sumLow === 0xffffffff)) {
      throw this.#valueError(plan, 'the timestamp is later than the latest Parquet (DuckDB) timestamp, 294247-01-10');
    }
    out.setUint32(o, sumLow, true);
    out.setInt32(o + 4, sumHigh, true);
  }

  /**
   * NUMERIC (ndigits, weight, sign, dscale, base-10000 digits) -> its value
   * times 10^scale: a little-endian int64 (`decimal`), or a big-endian 16-byte
   * two's complement (`decimal128`, Parquet's FIXED_LEN_BYTE_ARRAY decimals).
   */
  #decimal(plan: ColumnPlan, sv: DataView, p: number, n: number, out: DataView, o: number): void {
    if (n < 8) throw this.#sizeError(plan, n);
    const ndigits = sv.getInt16(p);
    const weight = sv.getInt16(p + 2);
    const sign = sv.getUint16(p + 4);
    if (n !== 8 + 2 * ndigits) throw this.#sizeError(plan, n);
    if (sign === 0xc000) throw this.#valueError(plan, 'NaN has no Parquet DECIMAL value');
    if (sign !== 0 && sign !== 0x4000) throw this.#valueError(plan, 'an infinite numeric has no Parquet DECIMAL value');
    if (plan.precision <= SAFE_DECIMAL_DIGITS) {
      let value = 0;
      for (let i = 0; i < ndigits; i++) {
        const digit = sv.getInt16(p + 8 + 2 * i);
        const exponent = 4 * (weight - i) + plan.scale;
        if (exponent >= 0) value += digit * (POW10[exponent] as number);
        else if (digit % (POW10[-exponent] as number) !== 0) throw this.#valueError(plan, `the value has more than ${plan.scale} digits after the point`);
        else value += digit / (POW10[-exponent] as number);
      }
      if (!Number.isSafeInteger(value)) throw this.#valueError(plan, `the value does not fit numeric(${plan.precision},${plan.scale})`);
      if (sign === 0x4000) value = -value;
      const high = Math.floor(value / 2 ** 32);
      out.setUint32(o, value - high * 2 ** 32, true);
      out.setInt32(o + 4, high, true);
      return;
    }
    let value = 0n;
    for (let i = 0; i < ndigits; i++) {
      const digit = BigInt(sv.getInt16(p + 8 + 2 * i));
      const exponent = 4 * (weight - i) + plan.scale;
      if (exponent >= 0) value += digit * 10n ** BigInt(exponent);
      else if (digit % 10n ** BigInt(-exponent) !== 0n) throw this.#valueError(plan, `the value has more than ${plan.scale} digits after the point`);
      else value += digit / 10n ** BigInt(-exponent);
    }
    if (value >= 10n ** BigInt(plan.precision)) throw this.#valueError(plan, `the value does not fit numeric(${plan.precision},${plan.scale})`);
    const signed = sign === 0x4000 ? -value : value;
    if (plan.kind === 'decimal') {
      out.setBigInt64(o, signed, true);
      return;
    }
    const bits = BigInt.asUintN(128, signed);
    out.setBigUint64(o, bits >> 64n, false);
    out.setBigUint64(o + 8, BigInt.asUintN(64, bits), false);
  }

  #sizeError(plan: ColumnPlan, n: number): DataError {
    return this.#valueError(plan, `a ${n}-byte field is not a binary ${plan.kind}`);
  }

  #valueError(plan: ColumnPlan, message: string): DataError {
    return new DataError(`column "${plan.name}", row ${this.#firstRow + this.#rows + 1} of the stream: ${message}`, { file: this.#options.file });
  }

  /**
   * End the filling part: its file is written and handed over in the
   * background while the next part fills the other set of buffers (the part
   * before must be written and handed over first, which bounds memory to two
   * parts and passes the conversion's back-pressure on). On 1M rows the
   * writes and hand-overs had held the COPY up for 0.2-0.3 s.
   */
  async #endPart(): Promise<void> {
    const part: BinaryPart = { index: this.#index, path: this.#options.pathOf(this.#index), rows: this.#rows, firstRow: this.#firstRow };
    await this.#handing;
    const buffers = this.#buffers;
    this.#buffers = this.#spare;
    this.#spare = buffers;
    this.#index += 1;
    this.#firstRow += this.#rows;
    this.#rows = 0;
    this.#bytes = 0;
    const handing = (async () => {
      await this.#writePart(part.path, part.rows, buffers);
      for (const column of buffers) column.reset();
      await this.#options.onPart(part);
    })();
    // Awaited at the next part's end, at the end or by `settle`; never left unobserved.
    handing.catch(() => undefined);
    this.#handing = handing;
  }

  /** Wait for a part file being written or handed over, ignoring its failure (before removing part files). */
  async settle(): Promise<void> {
    await this.#handing.catch(() => undefined);
  }

  /** One row group, one PLAIN data page per column, definition levels as one bit-packed run. */
  async #writePart(path: string, rows: number, buffers: readonly ColumnBuffer[]): Promise<void> {
    const pieces: Uint8Array[] = [PARQUET_MAGIC];
    let offset = PARQUET_MAGIC.length;
    const chunks: ThriftStruct[] = [];
    const groups = Math.ceil(rows / 8);
    const P = PageHeaderField;
    const D = DataPageHeaderField;
    const M = ColumnMetaDataField;
    for (const [index, column] of buffers.entries()) {
      const levels = Buffer.alloc(4 + 5);
      const header = varint(levels, 4, (groups << 1) | 1);
      levels.writeUInt32LE(header - 4 + groups, 0);
      const size = header + groups + column.valueBytes;
      if (size > INT32_MAX) throw this.#error(`column "${column.plan.name}" has more than 2 GiB in one part`);
      const dataPage = [i32(D.numValues, rows), i32(D.encoding, Encoding.plain), i32(D.definitionLevelEncoding, Encoding.rle), i32(D.repetitionLevelEncoding, Encoding.rle)];
      const pageHeader = encodeStruct({ kind: 'struct', fields: [i32(P.type, PageType.dataPage), i32(P.uncompressedSize, size), i32(P.compressedSize, size), struct(P.dataPage, dataPage)] });
      const start = offset;
      pieces.push(pageHeader, levels.subarray(0, header), column.defined.subarray(0, groups), column.values.subarray(0, column.valueBytes));
      offset += pageHeader.length + size;
      const meta: ThriftField[] = [
        i32(M.type, physicalOf(column.plan)),
        list(M.encodings, ThriftType.i32, [Encoding.plain, Encoding.rle]),
        list(M.pathInSchema, ThriftType.binary, [Buffer.from(`c${index}`)]),
        i32(M.codec, UNCOMPRESSED),
        i64(M.numValues, rows),
        i64(M.totalUncompressedSize, offset - start),
        i64(M.totalCompressedSize, offset - start),
        i64(M.dataPageOffset, start),
      ];
      chunks.push({ kind: 'struct', fields: [i64(ColumnChunkField.fileOffset, start), struct(ColumnChunkField.metaData, meta)] });
    }
    const rowGroup: ThriftStruct = { kind: 'struct', fields: [list(RowGroupField.columns, ThriftType.struct, chunks), i64(RowGroupField.totalByteSize, offset - 4), i64(RowGroupField.numRows, rows)] };
    const footer = encodeStruct({
      kind: 'struct',
      fields: [i32(FileMetaDataField.version, 1), this.#schema, i64(FileMetaDataField.numRows, rows), list(FileMetaDataField.rowGroups, ThriftType.struct, rows === 0 ? [] : [rowGroup])],
    });
    pieces.push(footer, footerTrailer(footer.length));
    const file: FileHandle = await open(path, 'w');
    try {
      await writeAll(file, pieces);
    } finally {
      await file.close();
    }
  }

  /**
   * Close the last part and return it (it may hold no row). Throws when the
   * stream stopped inside a row or before the COPY trailer.
   */
  async end(): Promise<BinaryPart> {
    if (this.#carry) throw this.#error(`the stream ends inside a row (${this.#carried} bytes left over)`);
    if (!this.#ended && this.#headerRead) throw this.#error('the stream ends before the binary COPY trailer');
    await this.#handing;
    const part: BinaryPart = { index: this.#index, path: this.#options.pathOf(this.#index), rows: this.#rows, firstRow: this.#firstRow };
    await this.#writePart(part.path, part.rows, this.#buffers);
    this.#index += 1;
    return part;
  }
}

/** A DataView of exactly the buffer's bytes. */
function viewOf(buffer: Buffer): DataView {
  return new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * Copy `n` bytes into a column's values: four at a time through the DataViews
 * for the short values most fields are (1.5-2x a byte loop; `Buffer#copy` costs
 * a native call), a native copy for long ones.
 */
function copyBytes(src: Buffer, sv: DataView, p: number, column: ColumnBuffer, o: number, n: number): void {
  if (n > 64) {
    src.copy(column.values, o, p, p + n);
    return;
  }
  const out = column.view;
  let k = 0;
  for (; k + 4 <= n; k += 4) out.setInt32(o + k, sv.getInt32(p + k));
  const values = column.values;
  for (; k < n; k++) values[o + k] = src[p + k] as number;
}

/** ULEB128 `n` at `at`; returns the offset after it. */
function varint(out: Buffer, at: number, n: number): number {
  let rest = n;
  let o = at;
  while (rest >= 0x80) {
    out[o++] = (rest & 0x7f) | 0x80;
    rest = Math.floor(rest / 128);
  }
  out[o++] = rest;
  return o;
}

async function writeAll(file: FileHandle, pieces: Uint8Array[]): Promise<void> {
  let rest = pieces.filter((p) => p.length > 0);
  while (rest.length > 0) {
    // writev takes at most IOV_MAX (1024) buffers per call.
    const batch = rest.slice(0, 1024);
    let { bytesWritten } = await file.writev(batch);
    let done = 0;
    while (done < batch.length && bytesWritten >= (batch[done] as Uint8Array).length) {
      bytesWritten -= (batch[done] as Uint8Array).length;
      done += 1;
    }
    rest = rest.slice(done);
    if (bytesWritten > 0) rest[0] = (rest[0] as Uint8Array).subarray(bytesWritten);
  }
}
