import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../core/errors.js';
import type { Column, Row, Value } from '../../core/schema.js';
import { filesConfigSchema } from './config.js';
import { ParquetFileWriter, type ParquetWriterOptions } from './parquet-writer.js';
import { col, failureOf, filesSource, readAll, scratchProject } from './test-support.js';

const columns: Column[] = [
  col('id', 'int64'), col('b', 'boolean'), col('i16', 'int16'), col('i32', 'int32'), col('f32', 'float32'), col('f64', 'float64'),
  col('dec', 'decimal', { precision: 20, scale: 3 }), col('num', 'decimal'), col('s', 'string'), col('bin', 'bytes'), col('j', 'json'),
  col('u', 'uuid'), col('d', 'date'), col('t', 'time'), col('ttz', 'timetz'), col('ts', 'timestamp'), col('tstz', 'timestamptz'), col('iv', 'interval'),
];

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Row `i`: every kind with a value that depends on `i`, and a NULL in each column now and then. */
function rowAt(i: number): Row {
  const values: Value[] = [
    BigInt(i) * 1_000_003n - 9_000_000_000n, i % 3 === 0, (i % 65536) - 32768, i * 7919 - 1_000_000, [1.1, -0.5, 3.4028235e38][i % 3] as number, i / 7,
    `${i % 2 === 0 ? '-' : ''}${i + 1}.${pad(i % 1000, 3)}`, `${i}.${'0'.repeat(i % 40)}1`, `row ${i} "q", \n ${'x'.repeat(i % 50)}`, new Uint8Array([i % 256, 0, 255]), `{"i": ${i}, "a": [1, 2.50]}`,
    `00000000-0000-4000-8000-${pad(i, 12)}`, `${2000 + (i % 30)}-${pad((i % 12) + 1)}-${pad((i % 28) + 1)}`, `${pad(i % 24)}:${pad(i % 60)}:${pad(i % 60)}.${pad(i % 99_999, 5)}1`,
    `${pad(i % 24)}:30:00+05:45`, `2024-02-29T12:34:${pad(i % 60)}.${pad(i % 99_999, 5)}1`, `1999-12-31T23:59:${pad(i % 60)}.000001Z`, `P${i % 5}Y2M3DT4H5M6.5S`,
  ];
  return values.map((v, c) => (i % 97 === c ? null : v));
}

let project: { dir: string; dispose: () => Promise<void> };
let instance: DuckDBInstance;

beforeAll(async () => {
  project = await scratchProject();
  await mkdir(join(project.dir, 'pq'), { recursive: true });
  instance = await DuckDBInstance.create(':memory:');
});
afterAll(async () => {
  instance.closeSync();
  await project.dispose();
});

async function writeFile(name: string, rows: readonly Row[], partRows: number | undefined, batch = 777, options: ParquetWriterOptions = {}): Promise<string> {
  const path = join(project.dir, 'pq', name);
  const writer = await ParquetFileWriter.create(path, columns, partRows === undefined ? options : { ...options, partRows });
  try {
    for (let start = 0; start < rows.length; start += batch) await writer.write(rows.slice(start, start + batch));
    await writer.finish();
  } catch (error) {
    await writer.discard();
    throw error;
  }
  return path;
}

async function query(sql: string, path: string): Promise<Record<string, unknown>[]> {
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql, [path])).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
  }
}

describe('ParquetFileWriter streaming parts', () => {
  const rows = Array.from({ length: 5000 }, (_, i) => rowAt(i));

  it('assembles parts into one file whose rows, types and metadata equal a one-part file', async () => {
    const parts = await writeFile('parts.parquet', rows, 1000);
    const whole = await writeFile('whole.parquet', rows, undefined, 5000);
    const read = (name: string) => readAll(filesSource(project.dir, { path: 'pq' }), name);
    const [fromParts, fromWhole] = [await read('parts.parquet'), await read('whole.parquet')];
    expect(fromParts.columns.map((c) => c.type)).toEqual(columns.map((c) => c.type));
    expect(fromParts.rows).toHaveLength(5000);
    expect(fromParts.rows).toEqual(rows.map((r) => r.map((v) => (v instanceof Uint8Array ? Buffer.from(v) : v))));
    expect(fromParts.rows).toEqual(fromWhole.rows);
    const schema = 'SELECT * EXCLUDE (file_name) FROM parquet_schema($1)';
    expect(await query(schema, parts)).toEqual(await query(schema, whole));
    const kv = 'SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata($1)';
    expect(await query(kv, parts)).toEqual(await query(kv, whole));
    const groups = await query('SELECT row_group_id, any_value(row_group_num_rows) AS n FROM parquet_metadata($1) GROUP BY ALL ORDER BY 1', parts);
    expect(groups.map((g) => Number(g.n))).toEqual([1554, 1554, 1554, 338]); // a part closes after the batch that fills it (777 rows each)
    // Every column chunk's offsets were moved: DuckDB reads each row group on its own.
    const sums = await query('SELECT count(*) AS n, sum(i32) AS s, count(DISTINCT s) AS texts FROM read_parquet($1)', parts);
    const expected = rows.reduce((n, r) => n + (r[3] === null ? 0 : (r[3] as number)), 0);
    const texts = new Set(rows.map((r) => r[8]).filter((v) => v !== null)).size;
    expect(sums).toEqual([{ n: '5000', s: String(expected), texts: String(texts) }]);
  });

  it('writes a valid file with the schema and no rows for an empty stream', async () => {
    const path = await writeFile('empty.parquet', [], 1000);
    expect(await query('SELECT count(*) AS n FROM read_parquet($1)', path)).toEqual([{ n: '0' }]);
    const names = await query("SELECT name FROM parquet_schema($1) WHERE name <> 'duckdb_schema'", path);
    expect(names.map((n) => n.name)).toEqual(columns.map((c) => c.name));
  });

  it('fails with a DataError on a value of a later part and leaves no file or part behind', async () => {
    const bad = rows.slice(0, 3000).map((r, i) => (i === 2500 ? r.map((v, c) => (c === 12 ? '2024-02-30' : v)) : r));
    const error = await failureOf(writeFile('bad.parquet', bad, 1000));
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toContain('cannot write Parquet');
    expect((error as DataError).context.file).toContain('bad.parquet');
    expect((await readdir(join(project.dir, 'pq'))).filter((f) => f.startsWith('bad'))).toEqual([]);
  });

  it('writes every page codec asked for (zstd at level 1 unless told), and reads each file back exactly', async () => {
    const some = rows.slice(0, 2000);
    const want = some.map((r) => r.map((v) => (v instanceof Uint8Array ? Buffer.from(v) : v)));
    const codecs = async (path: string) => (await query('SELECT DISTINCT compression FROM parquet_metadata($1) ORDER BY 1', path)).map((r) => r.compression);
    const cases: [string, ParquetWriterOptions, string][] = [
      ['default', {}, 'ZSTD'],
      ['zstd9', { compression: 'zstd', compressionLevel: 9 }, 'ZSTD'],
      ['snappy', { compression: 'snappy' }, 'SNAPPY'],
      ['gzip', { compression: 'gzip' }, 'GZIP'],
      ['lz4', { compression: 'lz4_raw' }, 'LZ4_RAW'],
      ['brotli', { compression: 'brotli' }, 'BROTLI'],
      ['none', { compression: 'uncompressed' }, 'UNCOMPRESSED'],
    ];
    const sizes = new Map<string, number>();
    for (const [name, options, codec] of cases) {
      const path = await writeFile(`codec-${name}.parquet`, some, 700, 777, options);
      expect(await codecs(path)).toEqual([codec]);
      expect((await readAll(filesSource(project.dir, { path: 'pq' }), `codec-${name}.parquet`)).rows).toEqual(want);
      sizes.set(name, Number((await query('SELECT sum(total_compressed_size) AS n FROM parquet_metadata($1)', path))[0]?.n));
    }
    // The level reached the writer: zstd 9 packs these pages tighter than level 1.
    expect(sizes.get('zstd9')).toBeLessThan(sizes.get('default') as number);
    expect(sizes.get('default')).toBeLessThan(sizes.get('none') as number);
  });

  it('refuses a zstd level with another codec, naming the key', () => {
    const result = filesConfigSchema.safeParse({ path: 'out', parquet: { compression: 'snappy', compression_level: 5 } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['parquet', 'compression_level']);
    expect(result.error?.issues[0]?.message).toBe('compression_level applies to zstd only, not to snappy');
    const parsed = filesConfigSchema.parse({ path: 'out' });
    expect(parsed.parquet).toEqual({ compression: 'zstd' });
  });
});
