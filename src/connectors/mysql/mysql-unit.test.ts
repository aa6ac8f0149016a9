import { describe, expect, it } from 'vitest';
import { DataError } from '../../core/errors.js';
import type { Column } from '../../core/schema.js';
import { defaultDatabase, mysqlConfigSchema } from './config.js';
import { quoteIdent, quoteLiteral, quoteTable } from './identifiers.js';
import { encodeLoadDataRows, escapeBytes } from './load-data-text.js';
import { shortestFloat32, timeToInterval } from './read-value.js';
import { valueTextFor, wireValue } from './write-value.js';

const where = { stream: 's', table: 'db.t' };
const col = (kind: Column['type']['kind']): Column => ({ name: 'c', type: { kind }, nullable: true });

describe('LOAD DATA text', () => {
  it('separates fields by tabs, ends rows with newlines, writes NULL as \\N and escapes the text \\N', () => {
    const text = encodeLoadDataRows([['a', null, '\\N'], ['tab\there', 'line\nbreak\r', 'nul\0back\\']]).toString('utf8');
    expect(text).toBe('a\t\\N\t\\\\N\ntab\\there\tline\\nbreak\\r\tnul\\0back\\\\\n');
  });

  it('escapes special bytes in binary values and passes other bytes through untouched', () => {
    expect([...escapeBytes(new Uint8Array([0x5c, 0x09, 0x0a, 0x0d, 0x00, 0xff, 0x4e]))]).toEqual([0x5c, 0x5c, 0x5c, 0x74, 0x5c, 0x6e, 0x5c, 0x72, 0x5c, 0x30, 0xff, 0x4e]);
    const plain = new Uint8Array([1, 2, 3]);
    expect(escapeBytes(plain)).toBe(plain);
    expect([...encodeLoadDataRows([['x', new Uint8Array([0xff, 0x09])]])]).toEqual([0x78, 0x09, 0xff, 0x5c, 0x74, 0x0a]);
  });
});

describe('values MySQL cannot hold', () => {
  it('refuses NaN, infinities, BC and five-digit years with a DataError naming the column', () => {
    const refuse = (kind: Column['type']['kind'], type: string, value: number | string) => () => wireValue(valueTextFor(col(kind), type), value, col(kind), where);
    expect(refuse('float64', 'double', Number.NaN)).toThrow(DataError);
    expect(refuse('float32', 'float', Number.POSITIVE_INFINITY)).toThrow(/column "c" of db.t cannot hold Infinity/);
    expect(refuse('date', 'date', '0044-03-15 BC')).toThrow(DataError);
    expect(refuse('timestamptz', 'datetime(6)', '12345-06-07T08:09:10.5Z')).toThrow(DataError);
    expect(refuse('timestamp', 'datetime(6)', 'infinity')).toThrow(DataError);
  });

  it('writes float32 as its exact value (the shortest text can exceed FLT_MAX) and timestamps without T and Z', () => {
    expect(wireValue(valueTextFor(col('float32'), 'float'), -3.4028235e38, col('float32'), where)).toBe('-3.4028234663852886e+38');
    expect(wireValue(valueTextFor(col('timestamptz'), 'datetime(6)'), '2024-02-29T12:34:56.000001Z', col('timestamptz'), where)).toBe('2024-02-29 12:34:56.000001');
    expect(wireValue(valueTextFor(col('interval'), 'time(6)'), 'PT-838H-59M-58.999999S', col('interval'), where)).toBe('-838:59:58.999999');
  });
});

describe('read helpers', () => {
  it('gives a float32 its shortest decimal and a TIME its ISO interval', () => {
    expect(shortestFloat32(3.402820018375656e38)).toBe(3.40282e38);
    expect(shortestFloat32(5.610000133514404)).toBe(5.61);
    expect(timeToInterval('-00:00:00.000000')).toBe('PT0S');
    expect(timeToInterval('517:51:04.770')).toBe('PT517H51M4.77S');
    expect(timeToInterval('-00:20:38')).toBe('PT-20M-38S');
  });

  it('quotes identifiers and literals', () => {
    expect(quoteTable({ schema: 'db.x', name: 'a`b' })).toBe('`db.x`.`a``b`');
    expect(quoteIdent('ü "q"')).toBe('`ü "q"`');
    expect(quoteLiteral("it's \\ \0\n\r\x1a")).toBe("'it\\'s \\\\ \\0\\n\\r\\Z'");
  });
});

describe('mysql config', () => {
  it('reads YAML `zero_dates: null` as the null policy and defaults to error', () => {
    expect(mysqlConfigSchema.parse({ host: 'h', zero_dates: null }).zero_dates).toBe('null');
    expect(mysqlConfigSchema.parse({ host: 'h' })).toMatchObject({ zero_dates: 'error', time_type: 'time', bulk_load: 'auto', port: 3306 });
    expect(() => mysqlConfigSchema.parse({ host: 'h', zero_dates: 'zero' })).toThrow();
    expect(defaultDatabase(mysqlConfigSchema.parse({ url: 'mysql://u:p@h:3307/my%20db' }))).toBe('my db');
  });
});
