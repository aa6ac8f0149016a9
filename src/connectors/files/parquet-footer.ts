import type { FileHandle } from 'node:fs/promises';
import { ThriftDecodeError, ThriftReader, type ThriftStruct } from './thrift-compact.js';

const MAGIC = 'PAR1';

/**
 * Field ids of the Parquet footer structs (parquet.thrift) that Ferry reads or
 * rewrites. Everything else in a footer passes through as it was.
 */
export const FileMetaDataField = { version: 1, schema: 2, numRows: 3, rowGroups: 4, keyValueMetadata: 5 } as const;
export const RowGroupField = { columns: 1, totalByteSize: 2, numRows: 3, fileOffset: 5, totalCompressedSize: 6, ordinal: 7 } as const;
export const ColumnChunkField = { filePath: 1, fileOffset: 2, metaData: 3, offsetIndexOffset: 4, offsetIndexLength: 5, columnIndexOffset: 6, columnIndexLength: 7, cryptoMetadata: 8 } as const;
export const ColumnMetaDataField = { type: 1, encodings: 2, pathInSchema: 3, codec: 4, numValues: 5, totalUncompressedSize: 6, totalCompressedSize: 7, dataPageOffset: 9, indexPageOffset: 10, dictionaryPageOffset: 11, bloomFilterOffset: 14 } as const;
export const SchemaElementField = { type: 1, typeLength: 2, repetitionType: 3, name: 4, numChildren: 5, convertedType: 6, scale: 7, precision: 8, logicalType: 10 } as const;
/** Page headers (PageHeader, DataPageHeader) and their enums. */
export const PageHeaderField = { type: 1, uncompressedSize: 2, compressedSize: 3, dataPage: 5, dataPageV2: 8 } as const;
export const DataPageHeaderField = { numValues: 1, encoding: 2, definitionLevelEncoding: 3, repetitionLevelEncoding: 4 } as const;
export const PageType = { dataPage: 0, dataPageV2: 3 } as const;
export const Encoding = { plain: 0, rle: 3 } as const;

/** A Parquet file's footer: its FileMetaData and where it starts. */
export interface ParquetFooter {
  readonly metadata: ThriftStruct;
  /** Byte offset of the FileMetaData (the row groups and anything else lie in [4, footerStart)). */
  readonly footerStart: number;
  readonly fileSize: number;
}

/** Thrown when a file's framing or footer is not valid Parquet. */
export class ParquetFooterError extends Error {}

/** Read and decode the footer of an open Parquet file. */
export async function readParquetFooter(handle: FileHandle): Promise<ParquetFooter> {
  const fileSize = (await handle.stat()).size;
  if (fileSize < 12) throw new ParquetFooterError(`${fileSize} bytes is too short for a Parquet file`);
  const tail = Buffer.alloc(8);
  await handle.read(tail, 0, 8, fileSize - 8);
  if (tail.toString('latin1', 4) !== MAGIC) throw new ParquetFooterError('the file does not end with the Parquet magic "PAR1"');
  const length = tail.readUInt32LE(0);
  const footerStart = fileSize - 8 - length;
  if (footerStart < 4) throw new ParquetFooterError(`the footer length ${length} is larger than the file`);
  const bytes = Buffer.alloc(length);
  await handle.read(bytes, 0, length, footerStart);
  try {
    return { metadata: new ThriftReader(bytes).readStruct(), footerStart, fileSize };
  } catch (error) {
    if (error instanceof ThriftDecodeError) throw new ParquetFooterError(`the footer does not decode: ${error.message}`);
    throw error;
  }
}

/** The footer trailer: FileMetaData length (little-endian) and the magic. */
export function footerTrailer(metadataLength: number): Buffer {
  const tail = Buffer.alloc(8);
  tail.writeUInt32LE(metadataLength, 0);
  tail.write(MAGIC, 4, 'latin1');
  return tail;
}

export const PARQUET_MAGIC = Buffer.from(MAGIC, 'latin1');
