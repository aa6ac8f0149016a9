/**
 * A generic reader and writer of the Thrift compact protocol, the encoding of
 * Parquet footers and page headers. Values keep their wire types, so a struct
 * read and written back without changes gives the same bytes, and fields this
 * code does not know (newer Parquet versions) pass through untouched.
 */

/** Compact-protocol type ids (field headers and collection element types). */
export const ThriftType = {
  true: 1,
  false: 2,
  i8: 3,
  i16: 4,
  i32: 5,
  i64: 6,
  double: 7,
  binary: 8,
  list: 9,
  set: 10,
  map: 11,
  struct: 12,
} as const;

export type ThriftValue = boolean | number | bigint | Uint8Array | ThriftList | ThriftMap | ThriftStruct;

export interface ThriftField {
  readonly id: number;
  readonly type: number;
  value: ThriftValue;
}

export interface ThriftStruct {
  readonly kind: 'struct';
  fields: ThriftField[];
}

export interface ThriftList {
  readonly kind: 'list';
  readonly type: number;
  readonly elementType: number;
  items: ThriftValue[];
}

export interface ThriftMap {
  readonly kind: 'map';
  readonly keyType: number;
  readonly valueType: number;
  readonly entries: [ThriftValue, ThriftValue][];
}

/** Thrown for bytes that are not a well-formed compact-protocol struct. */
export class ThriftDecodeError extends Error {}

/** Nesting deeper than this is refused (a corrupt file could otherwise overflow the stack). */
const MAX_DEPTH = 64;

/** Reads compact-protocol values from `bytes`, starting at `offset`. */
export class ThriftReader {
  readonly #bytes: Uint8Array;
  #at: number;

  constructor(bytes: Uint8Array, offset = 0) {
    this.#bytes = bytes;
    this.#at = offset;
  }

  /** Where the next value starts (after `readStruct`, the struct's length is `position - offset`). */
  get position(): number {
    return this.#at;
  }

  #byte(): number {
    const b = this.#bytes[this.#at++];
    if (b === undefined) throw new ThriftDecodeError(`truncated at byte ${this.#at - 1}`);
    return b;
  }

  #varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = this.#byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new ThriftDecodeError(`varint too long at byte ${this.#at}`);
  }

  #smallVarint(): number {
    let result = 0;
    for (let factor = 1; factor < 2 ** 35; factor *= 128) {
      const b = this.#byte();
      result += (b & 0x7f) * factor;
      if ((b & 0x80) === 0) return result;
    }
    throw new ThriftDecodeError(`varint too long at byte ${this.#at}`);
  }

  #zigzag(): number {
    const n = this.#smallVarint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  readStruct(depth = 0): ThriftStruct {
    if (depth > MAX_DEPTH) throw new ThriftDecodeError('structs nested too deep');
    const fields: ThriftField[] = [];
    let lastId = 0;
    for (;;) {
      const header = this.#byte();
      if (header === 0) return { kind: 'struct', fields };
      const type = header & 0x0f;
      const delta = header >> 4;
      const id = delta === 0 ? this.#zigzag() : lastId + delta;
      lastId = id;
      const value = type === ThriftType.true || type === ThriftType.false ? type === ThriftType.true : this.#value(type, depth);
      fields.push({ id, type, value });
    }
  }

  #value(type: number, depth: number): ThriftValue {
    switch (type) {
      case ThriftType.i8: {
        const b = this.#byte();
        return b > 127 ? b - 256 : b;
      }
      case ThriftType.i16:
      case ThriftType.i32:
        return this.#zigzag();
      case ThriftType.i64: {
        const n = this.#varint();
        return (n & 1n) === 0n ? n >> 1n : -((n + 1n) >> 1n);
      }
      case ThriftType.double: {
        if (this.#at + 8 > this.#bytes.length) throw new ThriftDecodeError('truncated double');
        const view = new DataView(this.#bytes.buffer, this.#bytes.byteOffset + this.#at, 8);
        this.#at += 8;
        return view.getFloat64(0, true);
      }
      case ThriftType.binary: {
        const length = this.#smallVarint();
        if (this.#at + length > this.#bytes.length) throw new ThriftDecodeError(`binary of ${length} bytes runs past the end`);
        const value = this.#bytes.subarray(this.#at, this.#at + length);
        this.#at += length;
        return value;
      }
      case ThriftType.list:
      case ThriftType.set:
        return this.#list(type, depth);
      case ThriftType.map:
        return this.#map(depth);
      case ThriftType.struct:
        return this.readStruct(depth + 1);
      default:
        throw new ThriftDecodeError(`unknown type id ${type} at byte ${this.#at}`);
    }
  }

  #list(type: number, depth: number): ThriftList {
    const header = this.#byte();
    const elementType = header & 0x0f;
    const size = header >> 4 === 15 ? this.#smallVarint() : header >> 4;
    if (size > this.#bytes.length - this.#at) throw new ThriftDecodeError(`list of ${size} elements runs past the end`);
    const items: ThriftValue[] = [];
    for (let i = 0; i < size; i++) {
      // Booleans in collections are one byte each (1 = true).
      items.push(elementType === ThriftType.true || elementType === ThriftType.false ? this.#byte() === 1 : this.#value(elementType, depth + 1));
    }
    return { kind: 'list', type, elementType, items };
  }

  #map(depth: number): ThriftMap {
    const size = this.#smallVarint();
    if (size === 0) return { kind: 'map', keyType: 0, valueType: 0, entries: [] };
    const types = this.#byte();
    const keyType = types >> 4;
    const valueType = types & 0x0f;
    const entries: [ThriftValue, ThriftValue][] = [];
    for (let i = 0; i < size; i++) entries.push([this.#value(keyType, depth + 1), this.#value(valueType, depth + 1)]);
    return { kind: 'map', keyType, valueType, entries };
  }
}

/** Writes compact-protocol values into a growing buffer. */
export class ThriftWriter {
  #bytes = new Uint8Array(1024);
  #length = 0;

  /** The bytes written so far. */
  bytes(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }

  #reserve(n: number): void {
    if (this.#length + n <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + n));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }

  #byte(b: number): void {
    this.#reserve(1);
    this.#bytes[this.#length++] = b;
  }

  #varint(n: bigint): void {
    let rest = n;
    while (rest >= 0x80n) {
      this.#byte(Number(rest & 0x7fn) | 0x80);
      rest >>= 7n;
    }
    this.#byte(Number(rest));
  }

  #smallVarint(n: number): void {
    this.#varint(BigInt(n));
  }

  #zigzag(n: number): void {
    this.#smallVarint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  writeStruct(struct: ThriftStruct): void {
    let lastId = 0;
    for (const field of struct.fields) {
      const type = field.type === ThriftType.true || field.type === ThriftType.false ? (field.value === true ? ThriftType.true : ThriftType.false) : field.type;
      const delta = field.id - lastId;
      if (delta > 0 && delta <= 15) {
        this.#byte((delta << 4) | type);
      } else {
        this.#byte(type);
        this.#zigzag(field.id);
      }
      lastId = field.id;
      if (type !== ThriftType.true && type !== ThriftType.false) this.#value(type, field.value);
    }
    this.#byte(0);
  }

  #value(type: number, value: ThriftValue): void {
    switch (type) {
      case ThriftType.i8:
        this.#byte((value as number) & 0xff);
        return;
      case ThriftType.i16:
      case ThriftType.i32:
        this.#zigzag(value as number);
        return;
      case ThriftType.i64: {
        const n = value as bigint;
        this.#varint(n >= 0n ? n << 1n : (-n << 1n) - 1n);
        return;
      }
      case ThriftType.double: {
        this.#reserve(8);
        new DataView(this.#bytes.buffer, this.#bytes.byteOffset + this.#length, 8).setFloat64(0, value as number, true);
        this.#length += 8;
        return;
      }
      case ThriftType.binary: {
        const bytes = value as Uint8Array;
        this.#smallVarint(bytes.length);
        this.#reserve(bytes.length);
        this.#bytes.set(bytes, this.#length);
        this.#length += bytes.length;
        return;
      }
      case ThriftType.list:
      case ThriftType.set:
        this.#list(value as ThriftList);
        return;
      case ThriftType.map:
        this.#map(value as ThriftMap);
        return;
      case ThriftType.struct:
        this.writeStruct(value as ThriftStruct);
        return;
      default:
        throw new ThriftDecodeError(`cannot write type id ${type}`);
    }
  }

  #list(list: ThriftList): void {
    const size = list.items.length;
    if (size < 15) {
      this.#byte((size << 4) | list.elementType);
    } else {
      this.#byte(0xf0 | list.elementType);
      this.#smallVarint(size);
    }
    for (const item of list.items) {
      if (list.elementType === ThriftType.true || list.elementType === ThriftType.false) this.#byte(item === true ? 1 : 2);
      else this.#value(list.elementType, item);
    }
  }

  #map(map: ThriftMap): void {
    this.#smallVarint(map.entries.length);
    if (map.entries.length === 0) return;
    this.#byte((map.keyType << 4) | map.valueType);
    for (const [key, value] of map.entries) {
      this.#value(map.keyType, key);
      this.#value(map.valueType, value);
    }
  }
}

/** The value of field `id`, or undefined. */
export function fieldOf(struct: ThriftStruct, id: number): ThriftValue | undefined {
  return struct.fields.find((f) => f.id === id)?.value;
}

/** Field `id` as a number (i8/i16/i32/i64), or undefined. */
export function numberOf(struct: ThriftStruct, id: number): number | undefined {
  const value = fieldOf(struct, id);
  return typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : undefined;
}

/** Field `id` as a struct, or undefined. */
export function structOf(struct: ThriftStruct, id: number): ThriftStruct | undefined {
  const value = fieldOf(struct, id);
  return typeof value === 'object' && 'kind' in value && value.kind === 'struct' ? value : undefined;
}

/** Field `id` as a list of structs (empty when absent). */
export function structListOf(struct: ThriftStruct, id: number): ThriftStruct[] {
  const value = fieldOf(struct, id);
  if (typeof value !== 'object' || !('kind' in value) || value.kind !== 'list') return [];
  return value.items.filter((v): v is ThriftStruct => typeof v === 'object' && 'kind' in v && v.kind === 'struct');
}

/** Encode one struct. */
export function encodeStruct(struct: ThriftStruct): Uint8Array {
  const writer = new ThriftWriter();
  writer.writeStruct(struct);
  return writer.bytes();
}
