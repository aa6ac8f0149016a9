import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../core/errors.js';
import type { Column, Row, Value } from '../../core/schema.js';
import { csvOptionsFor, type FilesConfig } from './config.js';
import { CsvFileWriter } from './csv-writer.js';
import { filesConnector } from './index.js';
import { ParquetFileWriter, parquetTakesFerryCsv } from './parquet-writer.js';
import { col, FIXTURES, failureOf, filesSource, readAll, scratchProject } from './test-support.js';

/**
 * The Parquet writer fed raw `ferry-csv` records (what the Postgres source
 * sends, byte for byte what the CSV writer writes for the rows) must write
 * the values and types it writes for the decoded rows.
 */
const columns: Column[] = [
  col('s', 'string'), col('id', 'int64'), col('b', 'boolean'), col('i16', 'int16'), col('i32', 'int32'),
  col('dmax', 'decimal', { precision: 38, scale: 10 }), col('dec', 'decimal', { precision: 12, scale: 2 }), col('num', 'decimal'), col('big', 'decimal', { precision: 60, scale: 5 }),
  col('bin', 'bytes'), col('j', 'json'), col('u', 'uuid'), col('d', 'date'), col('t', 'time'), col('ttz', 'timetz'),
  col('ts', 'timestamp'), col('tstz', 'timestamptz'), col('iv', 'interval'),
];

const naughty = (JSON.parse(readFileSync(join(FIXTURES, 'naughty-strings/blns.json'), 'utf8')) as string[]).filter((s) => !s.includes('\u0000'));
const EDGE_STRINGS = ['\uFEFFstarts with a BOM', '', 'NULL', '\\N', '  spaced  ', 'a\nb', 'a\r\nb', '\r', '"', '""', ',', '","', 'say "hi", you', 'é😀\u200b', '\\.', 'x'.repeat(3_000_000)];
const STRINGS = [...EDGE_STRINGS, ...naughty];
const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Row `i`: edge values in turn, a NULL in each column now and then (none in `s` before the edge strings are done). */
function rowAt(i: number): Row {
  const values: Value[] = [
    STRINGS[i % STRINGS.length] as string, BigInt(i) * 1_000_003n - 9_223_372_036_854_775_807n + (i === 1 ? 9_223_372_036_854_775_806n : 0n), i % 3 === 0, [-32768, 32767, 0][i % 3] as number, [-2147483648, 2147483647, i][i % 3] as number,
    ['9999999999999999999999999999.9999999999', '-9999999999999999999999999999.9999999999', '0.0000000001', `${i}.5000000000`][i % 4] as string,
    `${i % 2 === 1 ? '-' : ''}${i}.${pad(i % 100)}`, `${i}.${'0'.repeat(i % 40)}1`, `-${'9'.repeat(55)}.${pad(i % 100, 5)}`,
    [new Uint8Array(), new Uint8Array([0, 255, 10, 13, 34, 44]), new Uint8Array(300).fill(i % 256)][i % 3] as Uint8Array,
    [`{"i": ${i}, "a": [1, 2.50], "s": "q\\"uo,te\\n"}`, '[]', '"\u00e9"', '{"k":  1}'][i % 4] as string,
    `a0eebc99-9c0b-4ef8-bb6d-${pad(i, 12)}`, ['0001-01-01', '9999-12-31', 'infinity', '-infinity', `20${pad(i % 30)}-02-${pad((i % 28) + 1)}`, '0044-03-15 BC', '0001-12-31 BC', '4713-01-01 BC'][i % 8] as string,
    ['00:00:00', '23:59:59.999999', '24:00:00', `12:${pad(i % 60)}:00.5`][i % 4] as string, ['12:30:00+05:45', '00:00:00-15:59'][i % 2] as string,
    ['infinity', '-infinity', '0001-01-01T00:00:00', '9999-12-31T23:59:59.999999', '10000-01-01T00:00:00', `2024-02-29T12:34:${pad(i % 60)}.123456`][i % 6] as string,
    ['infinity', '-infinity', '0001-01-01T00:00:00Z', '2024-06-01T12:00:00.000001Z', `1999-12-31T23:59:${pad(i % 60)}Z`][i % 5] as string,
    ['P1Y2M3DT4H5M6.5S', 'PT0S', '-P1Y-2M3DT-4H5M-6.000001S'][i % 3] as string,
  ];
  return values.map((v, c) => (c > 0 && i % 13 === c ? null : v));
}

let project: { dir: string; dispose: () => Promise<void> };
let instance: DuckDBInstance;
const config: FilesConfig = filesConnector.configSchema.parse({ path: 'pq' });

beforeAll(async () => {
  project = await scratchProject();
  await mkdir(join(project.dir, 'pq'), { recursive: true });
  instance = await DuckDBInstance.create(':memory:');
});
afterAll(async () => {
  instance.closeSync();
  await project.dispose();
});

/** The `ferry-csv` bytes of `rows`: the CSV writer's file without its header line. */
async function ferryCsv(name: string, cols: readonly Column[], rows: readonly Row[]): Promise<Buffer> {
  const path = join(project.dir, `${name}.csv`);
  const writer = new CsvFileWriter(path, cols, csvOptionsFor(config.csv, path), false);
  await writer.write(rows);
  await writer.finish();
  const bytes = await readFile(path);
  return bytes.subarray(bytes.indexOf(0x0a) + 1);
}

async function writeDecoded(name: string, cols: readonly Column[], rows: readonly Row[], partRows: number): Promise<string> {
  const path = join(project.dir, 'pq', name);
  const writer = await ParquetFileWriter.create(path, cols, { partRows });
  try {
    for (let start = 0; start < rows.length; start += 333) await writer.write(rows.slice(start, start + 333));
    await writer.finish();
  } catch (error) {
    await writer.discard();
    throw error;
  }
  return path;
}

/** Records in chunks of 1 to 5000 bytes (so chunks end inside fields, quotes and records). */
async function writeRaw(name: string, cols: readonly Column[], bytes: Buffer, partRows: number): Promise<{ path: string; records: number }> {
  const path = join(project.dir, 'pq', name);
  const writer = await ParquetFileWriter.create(path, cols, { partRows });
  let records = 0;
  try {
    for (let at = 0, step = 1; at < bytes.length; step = (step * 7919) % 5000 + 1) {
      records += await writer.writeRecords(bytes.subarray(at, at + step));
      at += step;
    }
    await writer.finish();
  } catch (error) {
    await writer.discard();
    throw error;
  }
  return { path, records };
}

async function query(sql: string, path: string): Promise<Record<string, unknown>[]> {
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql, [path])).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
  }
}

const read = (name: string) => readAll(filesSource(project.dir, { path: 'pq' }), name);
const leftovers = async (prefix: string) => (await readdir(join(project.dir, 'pq'))).filter((f) => f.startsWith(prefix));

describe('ParquetFileWriter from ferry-csv records', () => {
  const rows = Array.from({ length: 2600 }, (_, i) => rowAt(i));

  it('writes the values, types, metadata and row groups the decoded rows give', async () => {
    const decoded = await writeDecoded('decoded.parquet', columns, rows, 1000);
    const raw = await writeRaw('raw.parquet', columns, await ferryCsv('rows', columns, rows), 1000);
    expect(raw.records).toBe(rows.length);
    const [fromDecoded, fromRaw] = [await read('decoded.parquet'), await read('raw.parquet')];
    expect(fromRaw.columns).toEqual(fromDecoded.columns);
    expect(fromRaw.rows).toHaveLength(rows.length);
    expect(fromRaw.rows).toEqual(fromDecoded.rows);
    // And both are the rows written (bytes come back as Buffers): the 3 MB string, the BOM, BC dates and infinities included.
    expect(fromRaw.rows[0]?.[0]).toBe('\uFEFFstarts with a BOM');
    expect(fromRaw.rows).toEqual(rows.map((r) => r.map((v) => (v instanceof Uint8Array ? Buffer.from(v) : v))));
    const texts = `SELECT ${columns.map((c) => (c.type.kind === 'bytes' ? `hex(${c.name})` : `${c.name}::VARCHAR`) + ` AS ${c.name}`).join(', ')} FROM read_parquet($1)`;
    const rawTexts = await query(texts, raw.path);
    expect(rawTexts.filter((r) => r.ts === 'infinity' && r.tstz === 'infinity')).toHaveLength(rows.filter((r) => r[15] === 'infinity' && r[16] === 'infinity').length);
    expect(rawTexts).toEqual(await query(texts, decoded));
    for (const sql of ['SELECT * EXCLUDE (file_name) FROM parquet_schema($1)', 'SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata($1)']) {
      expect(await query(sql, raw.path), sql).toEqual(await query(sql, decoded));
    }
    // Parts of exactly `partRows` records (decoded parts close after the batch that fills them).
    const groups = await query('SELECT row_group_id, any_value(row_group_num_rows) AS n FROM parquet_metadata($1) GROUP BY ALL ORDER BY 1', raw.path);
    expect(groups.map((g) => Number(g.n))).toEqual([1000, 1000, 600]);
    expect(await leftovers('raw.parquet.')).toEqual([]);
  });

  it('writes an empty file with the schema when no record comes', async () => {
    const decoded = await writeDecoded('empty-decoded.parquet', columns, [], 1000);
    const raw = await writeRaw('empty-raw.parquet', columns, Buffer.alloc(0), 1000);
    expect(raw.records).toBe(0);
    const schema = 'SELECT * EXCLUDE (file_name) FROM parquet_schema($1)';
    expect(await query(schema, raw.path)).toEqual(await query(schema, decoded));
    expect(await query('SELECT count(*) AS n FROM read_parquet($1)', raw.path)).toEqual([{ n: '0' }]);
  });

  it('fails like the decoded path on a value DuckDB refuses, naming the file and the records, and leaves nothing behind', async () => {
    // DuckDB has no BC timestamps: both paths refuse them (docs/fidelity.md).
    const bad = rows.slice(0, 2500).map((r, i) => (i === 2200 ? r.map((v, c) => (c === 15 ? '0044-03-15T12:00:00.5 BC' : v)) : r));
    const decodedError = await failureOf(writeDecoded('bad-decoded.parquet', columns, bad, 1000));
    const rawError = await failureOf(writeRaw('bad-raw.parquet', columns, await ferryCsv('bad', columns, bad), 1000));
    expect(decodedError).toBeInstanceOf(DataError);
    expect(rawError).toBeInstanceOf(DataError);
    expect(rawError.message).toMatch(/^cannot write Parquet from part bad-raw\.parquet\.part2\.csv \(CSV records 2001-2500 of the stream\): Conversion Error/);
    expect((rawError as DataError).context.file).toContain('bad-raw.parquet');
    expect(await leftovers('bad-raw')).toEqual([]);
  });

  it('names the earliest refused part when two parts converting at once both fail', async () => {
    // Parts 1 and 2 are converted on the two connections at once; part 2 fails at its first record,
    // part 1 only at its last, but the stream's error is part 1's.
    const badAt = new Set([1999, 2000]);
    const bad = rows.slice(0, 2500).map((r, i) => (badAt.has(i) ? r.map((v, c) => (c === 15 ? '0044-03-15T12:00:00.5 BC' : v)) : r));
    const rawError = await failureOf(writeRaw('two-bad.parquet', columns, await ferryCsv('two-bad', columns, bad), 1000));
    expect(rawError).toBeInstanceOf(DataError);
    expect(rawError.message).toMatch(/^cannot write Parquet from part two-bad\.parquet\.part1\.csv \(CSV records 1001-2000 of the stream\): Conversion Error/);
    expect(await leftovers('two-bad')).toEqual([]);
  });

  it('refuses bytes that end inside a record, and discard removes every part', async () => {
    const bytes = await ferryCsv('cut', columns, rows.slice(0, 1500));
    const error = await failureOf(writeRaw('cut.parquet', columns, bytes.subarray(0, bytes.length - 3), 1000));
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toContain('ends inside a record');
    expect(await leftovers('cut.parquet')).toEqual([]);
    const writer = await ParquetFileWriter.create(join(project.dir, 'pq', 'gone.parquet'), columns, { partRows: 500 });
    await writer.writeRecords(bytes);
    await writer.discard();
    expect(await leftovers('gone.parquet')).toEqual([]);
  });

  it('is offered for every kind but floats', () => {
    expect(parquetTakesFerryCsv(columns)).toBe(true);
    expect(parquetTakesFerryCsv([col('a', 'int32'), col('b', 'float64')])).toBe(false);
    expect(parquetTakesFerryCsv([col('a', 'int32'), col('b', 'float32')])).toBe(false);
    expect(parquetTakesFerryCsv([col('a', 'string')])).toBe(false);
  });
});
