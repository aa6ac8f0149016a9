import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readParquetFooter } from './parquet-footer.js';
import { FIXTURES } from './test-support.js';
import { encodeStruct, ThriftDecodeError, ThriftReader } from './thrift-compact.js';

describe('thrift compact codec', () => {
  it('re-encodes the footer of every parquet-testing file byte for byte', async () => {
    const folder = join(FIXTURES, 'parquet', 'data');
    const names = (await readdir(folder)).filter((n) => n.endsWith('.parquet'));
    expect(names.length).toBeGreaterThan(60);
    const different: string[] = [];
    for (const name of names) {
      const handle = await open(join(folder, name), 'r');
      try {
        const footer = await readParquetFooter(handle);
        const original = Buffer.alloc(footer.fileSize - 8 - footer.footerStart);
        await handle.read(original, 0, original.length, footer.footerStart);
        if (Buffer.compare(Buffer.from(encodeStruct(footer.metadata)), original) !== 0) different.push(name);
      } catch (error) {
        different.push(`${name}: ${(error as Error).message}`);
      } finally {
        await handle.close();
      }
    }
    expect(different).toEqual([]);
  });

  it('refuses truncated input with a ThriftDecodeError', () => {
    // Field 1 (binary) claims 10 bytes, three follow.
    expect(() => new ThriftReader(new Uint8Array([0x18, 10, 1, 2, 3])).readStruct()).toThrow(ThriftDecodeError);
    expect(() => new ThriftReader(new Uint8Array([0x15])).readStruct()).toThrow('truncated');
  });
});
