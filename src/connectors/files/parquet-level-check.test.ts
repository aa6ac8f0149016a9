import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lz4RawDecompress, snappyDecompress } from './block-decompress.js';
import { checkParquetLevels, ParquetDamageError } from './parquet-level-check.js';
import { FileMetaDataField, footerTrailer, readParquetFooter, RowGroupField } from './parquet-footer.js';
import { failureOf, scratchProject } from './test-support.js';
import { encodeStruct, structListOf } from './thrift-compact.js';

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

describe('checkParquetLevels', () => {
  it.each(['uncompressed', 'snappy', 'gzip', 'brotli', 'lz4_raw', 'zstd'])('accepts valid nested columns compressed with %s', async (codec) => {
    await expect(checkParquetLevels(await nestedFile(codec))).resolves.toBeUndefined();
  });

  it('names the row group and column whose levels start fewer rows than the footer declares', async () => {
    const path = await nestedFile('snappy');
    const handle = await open(path, 'r+');
    const footer = await readParquetFooter(handle);
    const first = structListOf(footer.metadata, FileMetaDataField.rowGroups)[1];
    const rows = first?.fields.find((f) => f.id === RowGroupField.numRows);
    if (!rows || typeof rows.value !== 'bigint') throw new Error('no num_rows');
    const declared = rows.value;
    rows.value += 1n;
    const bytes = encodeStruct(footer.metadata);
    await handle.truncate(footer.footerStart);
    await handle.write(Buffer.concat([bytes, footerTrailer(bytes.length)]), 0, bytes.length + 8, footer.footerStart);
    await handle.close();
    const error = await failureOf(checkParquetLevels(path));
    expect(error).toBeInstanceOf(ParquetDamageError);
    expect(error.message).toBe(`row group 1, column "id": the column chunk declares ${declared} values for the row group's ${declared + 1n} rows (a column that is not repeated has one per row)`);
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
