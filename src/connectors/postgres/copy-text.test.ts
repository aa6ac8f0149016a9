import { describe, expect, it } from 'vitest';
import { DataError } from '../../core/errors.js';
import type { Column, Row } from '../../core/schema.js';
import { decoderFor, encodeRows, unescapeCopyText } from './copy-text.js';
import { CopyTextParser } from './copy-text-parser.js';
import { cursorLiteral, selectSql } from './read-sql.js';
import { col } from './test-support/postgres-test-kit.js';
import { ddlTypeOf, logicalTypeOf, PG_OID } from './type-map.js';

const columns: Column[] = [col('i', 'int64'), col('s', 'string'), col('b', 'bytes'), col('tz', 'timestamptz'), col('ok', 'boolean')];

describe('COPY text decoding', () => {
  it('undoes every escape the server can send', () => {
    expect(unescapeCopyText('a\\tb\\nc\\rd\\\\e\\bf\\fg\\vh')).toBe('a\tb\nc\rd\\e\bf\fg\vh');
    expect(unescapeCopyText('\\101\\x41\\q')).toBe('AAq');
  });

  it('turns server text into canonical values', () => {
    const tstz = decoderFor(col('x', 'timestamptz'));
    expect(tstz('2024-01-02 03:04:05.5+00')).toBe('2024-01-02T03:04:05.5Z');
    expect(tstz('0044-03-15 12:00:00+00 BC')).toBe('0044-03-15T12:00:00Z BC');
    expect(tstz('10000-01-01 00:00:00+00')).toBe('10000-01-01T00:00:00Z');
    expect(tstz('infinity')).toBe('infinity');
    expect(tstz('2024-01-02 03:04:05+05:45')).toBe('2024-01-01T21:19:05Z');
    expect(decoderFor(col('x', 'timestamp'))('0044-03-15 12:00:00.000001 BC')).toBe('0044-03-15T12:00:00.000001 BC');
    expect(decoderFor(col('x', 'timetz'))('04:05:06+05')).toBe('04:05:06+05:00');
    expect(decoderFor(col('x', 'timetz'))('04:05:06-03:30')).toBe('04:05:06-03:30');
    expect(decoderFor(col('x', 'int64'))('-9223372036854775808')).toBe(-9223372036854775808n);
    expect(decoderFor(col('x', 'float64'))('-Infinity')).toBe(Number.NEGATIVE_INFINITY);
  });

  it('parses rows split anywhere, even inside a UTF-8 character, identically', () => {
    const rows: Row[] = [
      [1n, 'tab\there ✓ 😀', Buffer.from([0, 255]), '2024-01-02T03:04:05.5Z', true],
      [2n, null, null, null, false],
      [3n, '\\N is not null here', Buffer.alloc(0), 'infinity', null],
    ];
    const bytes = Buffer.from(encodeRows(rows, { stream: 's', columns }).replace('2024-01-02T03:04:05.5Z', '2024-01-02 03:04:05.5+00'));
    for (let size = 1; size <= bytes.length; size += 3) {
      const parser = new CopyTextParser(columns, 's');
      for (let at = 0; at < bytes.length; at += size) parser.push(bytes.subarray(at, at + size));
      parser.end();
      expect(parser.take()).toEqual(rows);
    }
  });

  it('reports a row with the wrong number of fields, and output cut off mid-row', () => {
    const parser = new CopyTextParser(columns, 's');
    expect(() => parser.push(Buffer.from('1\tx\n'))).toThrow(DataError);
    const cut = new CopyTextParser(columns, 's');
    cut.push(Buffer.from('1\tx'));
    expect(() => cut.end()).toThrow(/ended inside row 1/);
  });
});

describe('COPY text encoding', () => {
  it('escapes, keeps -0, and writes bytes as hex', () => {
    const text = encodeRows([[0n, 'a\\b\tc\nd\re', Buffer.from([1, 171]), null, false]], { stream: 's', columns });
    expect(text).toBe('0\ta\\\\b\\tc\\nd\\re\t\\\\x01ab\t\\N\tf\n');
    expect(encodeRows([[-0]], { stream: 's', columns: [col('f', 'float64')] })).toBe('-0\n');
  });

  it('refuses strings that are not valid Unicode instead of corrupting them', () => {
    expect(() => encodeRows([[1n, 'bad \ud800 surrogate', null, null, null]], { stream: 's', columns })).toThrow(/column "s"/);
  });
});

describe('type map and read SQL', () => {
  it('maps numeric typmods, including negative scale', () => {
    expect(logicalTypeOf({ oid: PG_OID.numeric, typmod: -1, typname: 'numeric' })).toEqual({ kind: 'decimal' });
    expect(logicalTypeOf({ oid: PG_OID.numeric, typmod: ((12 << 16) | 2) + 4, typname: 'numeric' })).toEqual({ kind: 'decimal', precision: 12, scale: 2 });
    expect(logicalTypeOf({ oid: PG_OID.numeric, typmod: 329730, typname: 'numeric' })).toEqual({ kind: 'decimal', precision: 7, scale: 0 });
    expect(logicalTypeOf({ oid: PG_OID.bpchar, typmod: 9, typname: 'bpchar' })).toEqual({ kind: 'string', length: 5 });
    expect(logicalTypeOf({ oid: 99999, typmod: -1, typname: 'citext' })).toEqual({ kind: 'string' });
    expect(logicalTypeOf({ oid: 869, typmod: -1, typname: 'inet' })).toEqual({ kind: 'string' });
  });

  it('uses the native type only when it is built in at the destination', () => {
    const c: Column = { name: 'x', type: { kind: 'string' }, nullable: true, sourceType: 'mood[]', sourceEngine: 'postgres' };
    expect(ddlTypeOf(c, new Set())).toBe('text');
    expect(ddlTypeOf({ ...c, sourceType: 'integer[]' }, new Set(['integer[]']))).toBe('integer[]');
    expect(ddlTypeOf({ ...c, sourceType: 'integer[]', sourceEngine: 'mysql' }, new Set(['integer[]']))).toBe('text');
  });

  it('renders cursor bounds as quoted typed literals', () => {
    expect(cursorLiteral("it's", 'string')).toBe("'it''s'");
    expect(cursorLiteral(12n, 'int64')).toBe("'12'::bigint");
    expect(cursorLiteral(Buffer.from([1, 2]), 'bytes')).toBe("'\\x0102'::bytea");
    expect(() => cursorLiteral('a\0b', 'string')).toThrow(DataError);
    const sql = selectSql({ stream: 'q', target: { kind: 'query', sql: 'select 1 as "a""b";  ' }, columns: ['a"b'], batchSize: 1 }, 'public');
    expect(sql).toBe('SELECT "a""b" FROM (select 1 as "a""b") q');
  });
});
