import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../core/errors.js';
import type { Row } from '../../core/schema.js';
import { LOGICAL_TYPE_KINDS } from '../../core/schema.js';
import { col, failureOf, FIXTURES, filesDestination, filesSource, readAll, scratchProject, writeAll } from './test-support.js';

const PARQUET = join(FIXTURES, 'parquet');

/** Files DuckDB 1.5.6 counts (metadata) but cannot decode: hadoop LZ4, BYTE_STREAM_SPLIT on ints, an 8 GiB map allocation. */
const UNDECODABLE = new Set(['hadoop_lz4_compressed', 'hadoop_lz4_compressed_larger', 'non_hadoop_lz4_compressed', 'byte_stream_split_extended.gzip', 'large_string_map.brotli']);
/** bad_data files DuckDB rejects. */
const BAD_REJECTED = ['ARROW-GH-41317', 'ARROW-GH-41321', 'ARROW-GH-47662', 'ARROW-RS-GH-6229-DICTHEADER', 'PARQUET-1481'];
/** bad_data files DuckDB 1.5.6 reads without an error (returning wrong rows) that Ferry's level check refuses. */
const BAD_DAMAGED: Readonly<Record<string, string>> = {
  'ARROW-GH-45185':
    'ARROW-GH-45185.parquet: damaged Parquet: row group 0, column "x.list.element": the first repetition level is 1; a column chunk must start with a new row (level 0), so its first value would be lost',
  'ARROW-RS-GH-6229-LEVELS':
    'ARROW-RS-GH-6229-LEVELS.parquet: damaged Parquet: row group 0, column "outer.list.item.c", page at byte 19: the header declares 21 values but its repetition levels do not hold them (the level data ends after 1 of 21 levels)',
};
/** Dictionary indexes of bit width 0 can only mean index 0: read as Arrow reads it since apache/arrow#43605. */
const BAD_READABLE: Readonly<Record<string, number>> = { 'ARROW-GH-43605': 21186 };

let project: { dir: string; dispose: () => Promise<void> };
let counts: Map<string, number>;

beforeAll(async () => {
  project = await scratchProject();
  const lines = (await readFile(join(FIXTURES, 'ROWCOUNTS.tsv'), 'utf8')).split('\n');
  counts = new Map(
    lines
      .map((l) => l.split('\t'))
      .filter((f) => f[1] === 'parquet' && f[3]?.startsWith('parquet/data/') && /^\d+$/.test(f[4] ?? ''))
      .map((f) => [(f[3] ?? '').slice('parquet/'.length), Number(f[4])]),
  );
});
afterAll(() => project.dispose());

describe('Parquet fixtures', () => {
  it('reads alltypes_plain with exact values', async () => {
    const { columns, rows } = await readAll(filesSource(PARQUET, { path: '.' }), 'data/alltypes_plain.parquet');
    expect(rows).toHaveLength(8);
    expect(columns.map((c) => `${c.name}:${c.type.kind}`)).toEqual([
      'id:int32', 'bool_col:boolean', 'tinyint_col:int32', 'smallint_col:int32', 'int_col:int32', 'bigint_col:int64',
      'float_col:float32', 'double_col:float64', 'date_string_col:bytes', 'string_col:bytes', 'timestamp_col:timestamp',
    ]);
    expect(rows.map((r) => r[0])).toEqual([4, 5, 6, 7, 2, 3, 0, 1]);
    expect(rows[1]).toEqual([5, false, 1, 1, 1, 10n, 1.1, 10.1, Buffer.from('03/01/09'), Buffer.from('1'), '2009-03-01T00:01:00']);
  });

  it('reads decimals exactly and INT96 timestamps with microseconds', async () => {
    const source = filesSource(PARQUET, { path: 'data' });
    const dec = await readAll(source, 'byte_array_decimal.parquet');
    expect(dec.columns[0]?.type).toEqual({ kind: 'decimal', precision: 4, scale: 2 });
    expect(dec.rows.map((r) => r[0])).toEqual(Array.from({ length: 24 }, (_, i) => `${i + 1}.00`));
    const int96 = await readAll(source, 'int96_from_spark.parquet');
    expect(int96.rows[0]).toEqual(['2024-01-01T20:34:56.123456']);
    const nested = await readAll(source, 'nested_maps.snappy.parquet');
    expect(nested.rows[0]?.[0]).toBe('{"a":{"1":true,"2":false}}');
  });

  it('reads every file of ROWCOUNTS.tsv with its exact row count (or a DataError for what DuckDB cannot decode)', async () => {
    expect(counts.size).toBeGreaterThan(60);
    const source = filesSource(PARQUET, { path: '.' });
    const wrong: string[] = [];
    for (const [name, expected] of counts) {
      const stem = name.replace(/^data\//, '').replace(/\.parquet$/, '');
      if (UNDECODABLE.has(stem)) {
        const error = await failureOf(readAll(source, name));
        if (!(error instanceof DataError) || !error.message.includes(name)) wrong.push(`${name}: ${error.message}`);
        continue;
      }
      const { rows } = await readAll(source, name, { batchSize: 4096 });
      if (rows.length !== expected) wrong.push(`${name}: ${rows.length} rows, expected ${expected}`);
    }
    expect(wrong).toEqual([]);
  }, 300_000); // ~70 files through DuckDB: minutes when the machine is shared

  it('gives a clean DataError naming each malformed bad_data file, and reads ARROW-GH-43605', async () => {
    const source = filesSource(PARQUET, { path: 'bad_data' });
    for (const name of BAD_REJECTED) {
      const error = await failureOf(readAll(source, `${name}.parquet`));
      expect(error, name).toBeInstanceOf(DataError);
      expect(error.message).toContain(`${name}.parquet`);
      expect((error as DataError).cause).toBeInstanceOf(Error);
    }
    for (const [name, message] of Object.entries(BAD_DAMAGED)) {
      const error = await failureOf(readAll(source, `${name}.parquet`));
      expect(error, name).toBeInstanceOf(DataError);
      expect(error.message).toBe(message);
    }
    for (const [name, rows] of Object.entries(BAD_READABLE)) {
      expect((await readAll(source, `${name}.parquet`)).rows, name).toHaveLength(rows);
    }
    expect(BAD_REJECTED.length + Object.keys(BAD_DAMAGED).length + Object.keys(BAD_READABLE).length).toBe(8);
  });
});

describe('Parquet write -> read', () => {
  const columns = [
    col('b', 'boolean'), col('i16', 'int16'), col('i32', 'int32'), col('i64', 'int64'), col('f32', 'float32'), col('f64', 'float64'),
    col('dec', 'decimal', { precision: 20, scale: 3 }), col('num', 'decimal'), col('s', 'string'), col('bin', 'bytes'), col('j', 'json'),
    col('u', 'uuid'), col('d', 'date'), col('t', 'time'), col('ttz', 'timetz'), col('ts', 'timestamp'), col('tstz', 'timestamptz'), col('iv', 'interval'),
  ];
  const rows: Row[] = [
    [true, -32768, -2147483648, -9223372036854775808n, 1.1, Number.NaN, '-12345678901234567.123', '0.000000000000000000000000000000000000000001', 'naïve "quoted", \n line', new Uint8Array([0, 1, 255]), '{"a": [1, 2.50, 12345678901234567890]}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1970-01-01', '23:59:59.999999', '12:00:00+05:45', '2024-02-29T12:34:56.789012', '1999-12-31T23:59:59.000001Z', 'P1Y2M3DT4H5M6.5S'],
    [false, 32767, 2147483647, 9223372036854775807n, Number.POSITIVE_INFINITY, -1.7976931348623157e308, '-0.100', '-12.340', '', new Uint8Array(), '[]', '00000000-0000-0000-0000-000000000000', '9999-12-31', '00:00:00', '00:00:00-03:30', '0001-01-01T00:00:00', '2038-01-19T03:14:08Z', 'PT0S'],
    [null, null, null, null, -42.01, 0, '0.000', null, null, null, null, null, null, null, null, null, null, null],
    Array.from({ length: 18 }, () => null),
  ];

  it('covers every logical kind', () => {
    expect(new Set(columns.map((c) => c.type.kind))).toEqual(new Set(LOGICAL_TYPE_KINDS));
  });

  it('round-trips every logical kind value-exact, with its kind', async () => {
    const settings = { path: 'pq' };
    expect(await writeAll(filesDestination(project.dir, settings), 'all.parquet', columns, rows)).toBe(4);
    const back = await readAll(filesSource(project.dir, settings), 'all.parquet');
    expect(back.columns.map((c) => c.type)).toEqual(columns.map((c) => c.type));
    expect(back.rows).toEqual(rows.map((r) => r.map((v) => (v instanceof Uint8Array ? Buffer.from(v) : v))));
  });

  it('refuses columns that differ only by case instead of renaming them', async () => {
    const error = await failureOf(writeAll(filesDestination(project.dir, { path: 'pq' }), 'case.parquet', [col('MyColumn', 'int32'), col('mycolumn', 'int32')], [[1, 2]]));
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toContain('differ only by case');
  });

  it('applies where through DuckDB', async () => {
    const { rows } = await readAll(filesSource(PARQUET, { path: 'data' }), 'alltypes_plain.parquet', { where: 'id >= 6', columns: ['id'] });
    expect(rows).toEqual([[6], [7]]);
  });
});
