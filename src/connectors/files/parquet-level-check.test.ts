import { type FileHandle, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lz4RawDecompress, snappyDecompress } from './block-decompress.js';
import { checkParquetLevels, ParquetDamageError } from './parquet-level-check.js';
import { DataError } from '../../core/errors.js';
import { ColumnChunkField, ColumnMetaDataField, FileMetaDataField, footerTrailer, readParquetFooter, RowGroupField } from './parquet-footer.js';
import { failureOf, filesSource, readAll, scratchProject } from './test-support.js';
import { encodeStruct, numberOf, structListOf, structOf, ThriftReader } from './thrift-compact.js';

let project: { dir: string; dispose: () => Promise<void> };
let instance: DuckDBInstance;

beforeAll(async () => {
  project = await scratchProject();
  instance = await DuckDBInstance.create(':memory:');
});
afterAll(async () => {
  instance.closeSync();
  await project.dispose();
});

/**
 * A file with a list column, a list of lists and a map, written by DuckDB with
 * `codec`: 200k rows make two row groups of several pages (brotli gets 20k:
 * DuckDB compresses it slowly).
 */
async function nestedFile(codec: string): Promise<string> {
  const rows = codec === 'brotli' ? 20_000 : 200_000;
  const path = join(project.dir, `nested-${codec}.parquet`);
  const connection = await instance.connect();
  try {
    await connection.run(`COPY (SELECT g AS id, CASE WHEN g % 5 = 0 THEN NULL ELSE range(g % 7) END AS l,
      [[g, g + 1], [], NULL] AS ll, map([g::varchar], [g % 3]) AS m
      FROM range(${rows}) t(g)) TO '${path}' (FORMAT parquet, COMPRESSION ${codec})`);
  } finally {
    connection.closeSync();
  }
  return path;
}

/** Add one row to row group `index` in the footer, leaving every page as it is. */
async function declareOneMoreRow(handle: FileHandle, index: number): Promise<bigint> {
  const footer = await readParquetFooter(handle);
  const rowGroup = structListOf(footer.metadata, FileMetaDataField.rowGroups)[index];
  const rows = rowGroup?.fields.find((f) => f.id === RowGroupField.numRows);
  if (!rows || typeof rows.value !== 'bigint') throw new Error('no num_rows');
  const declared = rows.value;
  rows.value += 1n;
  const bytes = encodeStruct(footer.metadata);
  await handle.truncate(footer.footerStart);
  await handle.write(Buffer.concat([bytes, footerTrailer(bytes.length)]), 0, bytes.length + 8, footer.footerStart);
  return declared;
}

/**
 * A ZSTD file whose only column is a list (empty for every fourth row), so
 * every check of its rows needs its pages decompressed.
 */
async function zstdListFile(name: string): Promise<string> {
  const path = join(project.dir, name);
  const connection = await instance.connect();
  try {
    await connection.run(`COPY (SELECT CASE WHEN g % 4 = 0 THEN [] ELSE range(g % 5) END AS l FROM range(50000) t(g))
      TO '${path}' (FORMAT parquet, COMPRESSION zstd)`);
  } finally {
    connection.closeSync();
  }
  return path;
}

describe('checkParquetLevels', () => {
  it.each(['uncompressed', 'snappy', 'gzip', 'brotli', 'lz4_raw', 'zstd'])('accepts valid nested columns compressed with %s', async (codec) => {
    await expect(checkParquetLevels(await nestedFile(codec))).resolves.toBeUndefined();
  });

  it('names the row group and column whose levels start fewer rows than the footer declares', async () => {
    const path = await nestedFile('snappy');
    const handle = await open(path, 'r+');
    const declared = await declareOneMoreRow(handle, 1);
    await handle.close();
    const error = await failureOf(checkParquetLevels(path));
    expect(error).toBeInstanceOf(ParquetDamageError);
    expect(error.message).toBe(`row group 1, column "id": the column chunk declares ${declared} values for the row group's ${declared + 1n} rows (a column that is not repeated has one per row)`);
  });

  it('decompresses ZSTD pages (with fzstd where node:zlib has no zstd) and checks their levels', async () => {
    const path = await zstdListFile('zstd-rows.parquet');
    const { rows } = await readAll(filesSource(project.dir, { path: '.' }), 'zstd-rows.parquet');
    expect(rows).toHaveLength(50_000);
    expect(rows.slice(0, 4).map((r) => r[0])).toEqual(['[]', '[0]', '[0,1]', '[0,1,2]']);
    const handle = await open(path, 'r+');
    await declareOneMoreRow(handle, 0);
    await handle.close();
    // Only the decompressed repetition levels show that the pages start 50,000 rows, not 50,001.
    const damage = await failureOf(checkParquetLevels(path));
    expect(damage).toBeInstanceOf(ParquetDamageError);
    expect(damage.message).toBe('row group 0, column "l.list.element": the repetition levels start 50000 rows but the row group declares 50001');
    const error = await failureOf(readAll(filesSource(project.dir, { path: '.' }), 'zstd-rows.parquet'));
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toBe(`zstd-rows.parquet: damaged Parquet: ${damage.message}`);
  });

  it('gives a DataError naming the file whose ZSTD page does not decompress', async () => {
    const path = await zstdListFile('zstd-corrupt.parquet');
    const handle = await open(path, 'r+');
    const footer = await readParquetFooter(handle);
    const rowGroup = structListOf(footer.metadata, FileMetaDataField.rowGroups)[0];
    const chunk = rowGroup && structListOf(rowGroup, RowGroupField.columns)[0];
    const meta = chunk && structOf(chunk, ColumnChunkField.metaData);
    const pageAt = meta && numberOf(meta, ColumnMetaDataField.dataPageOffset);
    if (pageAt === undefined) throw new Error('no data page');
    const head = Buffer.alloc(256);
    await handle.read(head, 0, head.length, pageAt);
    const reader = new ThriftReader(head);
    reader.readStruct();
    // Past the frame header: the compressed blocks become noise.
    await handle.write(Buffer.alloc(64, 0xa5), 0, 64, pageAt + reader.position + 16);
    await handle.close();
    await expect(checkParquetLevels(path)).resolves.toBeUndefined();
    const error = await failureOf(readAll(filesSource(project.dir, { path: '.' }), 'zstd-corrupt.parquet'));
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toMatch(/^zstd-corrupt\.parquet: cannot read Parquet: .*ZSTD Decompression failure/);
    expect((error as DataError).context.file).toBe('zstd-corrupt.parquet');
  });

  it('leaves files it cannot parse to DuckDB', async () => {
    const path = join(project.dir, 'not.parquet');
    await writeFile(path, 'PAR1 this is not a footer PAR1');
    await expect(checkParquetLevels(path)).resolves.toBeUndefined();
  });
});

describe('block decompressors', () => {
  const expected = Buffer.from('abcabcabcx');

  it('decodes raw Snappy literals and copies, whole or a prefix', () => {
    const block = new Uint8Array([10, 0x08, 97, 98, 99, 0x09, 3, 0x00, 120]);
    expect(Buffer.from(snappyDecompress(block, 10))).toEqual(expected);
    expect(Buffer.from(snappyDecompress(block, 10, 2))).toEqual(Buffer.from('abc'));
    expect(() => snappyDecompress(block, 11)).toThrow('snappy block holds 10 bytes, the page header says 11');
    expect(() => snappyDecompress(new Uint8Array([10, 0x09, 9]), 10)).toThrow('points before the start');
  });

  it('decodes raw LZ4 sequences, whole or a prefix', () => {
    const block = new Uint8Array([0x32, 97, 98, 99, 3, 0, 0x10, 120]);
    expect(Buffer.from(lz4RawDecompress(block, 10))).toEqual(expected);
    expect(Buffer.from(lz4RawDecompress(block, 10, 9))).toEqual(Buffer.from('abcabcabc'));
    expect(() => lz4RawDecompress(block, 12)).toThrow('lz4 block ends after 10 of 12 bytes');
  });
});
