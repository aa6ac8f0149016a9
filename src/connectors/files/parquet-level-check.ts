import { type FileHandle, open } from 'node:fs/promises';
import { ColumnChunkField, ColumnMetaDataField, DataPageHeaderField, Encoding, FileMetaDataField, PageHeaderField, PageType, ParquetFooterError, readParquetFooter, RowGroupField, SchemaElementField } from './parquet-footer.js';
import { LevelError, pagePrefixOf, type LevelSummary, summarizeLevels } from './parquet-levels.js';
import { fieldOf, numberOf, structListOf, structOf, ThriftDecodeError, ThriftReader, type ThriftStruct } from './thrift-compact.js';

/**
 * A Parquet file whose footer and pages disagree about how many values or
 * rows a column holds: readers that trust one side return wrong rows.
 */
export class ParquetDamageError extends Error {}

interface Leaf {
  readonly path: string;
  readonly maxRepetition: number;
}

const REPEATED = 2;
/** Page headers (with statistics) are read through a window that grows up to this size. */
const MAX_HEADER_BYTES = 16 * 2 ** 20;
const MAX_SCHEMA_DEPTH = 256;

function textOf(struct: ThriftStruct, id: number): string {
  const value = fieldOf(struct, id);
  return value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : '';
}

/** Leaf columns in column-chunk order with their maximum repetition level; undefined for a schema that does not parse (DuckDB reports it). */
function leavesOf(schema: readonly ThriftStruct[]): Leaf[] | undefined {
  const leaves: Leaf[] = [];
  let next = 1;
  const walk = (count: number, path: readonly string[], repetition: number, depth: number): boolean => {
    if (depth > MAX_SCHEMA_DEPTH) return false;
    for (let k = 0; k < count; k++) {
      const element = schema[next++];
      if (!element) return false;
      const name = [...path, textOf(element, SchemaElementField.name)];
      const level = repetition + (numberOf(element, SchemaElementField.repetitionType) === REPEATED ? 1 : 0);
      const children = numberOf(element, SchemaElementField.numChildren) ?? 0;
      if (children > 0) {
        if (!walk(children, name, level, depth + 1)) return false;
      } else {
        leaves.push({ path: name.join('.'), maxRepetition: level });
      }
    }
    return true;
  };
  const root = schema[0];
  return root && walk(numberOf(root, SchemaElementField.numChildren) ?? 0, [], 0, 0) ? leaves : undefined;
}

async function readAt(handle: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, offset);
  return buffer.subarray(0, bytesRead);
}

/** The page header at `offset` and its length; undefined when it does not decode. */
async function pageHeaderAt(handle: FileHandle, offset: number, end: number): Promise<{ header: ThriftStruct; length: number } | undefined> {
  for (let window = 256; ; window *= 8) {
    const bytes = await readAt(handle, offset, Math.min(window, end - offset));
    try {
      const reader = new ThriftReader(bytes);
      return { header: reader.readStruct(), length: reader.position };
    } catch (error) {
      if (!(error instanceof ThriftDecodeError) || window >= MAX_HEADER_BYTES || offset + window >= end) return undefined;
    }
  }
}

interface ChunkPlace {
  readonly rowGroup: number;
  readonly rows: number;
  readonly leaf: Leaf;
  readonly codec: number;
  readonly values: number;
}

function where(place: ChunkPlace): string {
  return `row group ${place.rowGroup}, column "${place.leaf.path}"`;
}

/** Repetition levels of one data page, or undefined where they cannot be decoded here (codec, deprecated encoding). */
async function pageLevels(header: ThriftStruct, body: Uint8Array, place: ChunkPlace, bitWidth: number): Promise<LevelSummary | undefined> {
  const v2 = structOf(header, PageHeaderField.dataPageV2);
  if (v2) {
    const length = numberOf(v2, 6) ?? 0;
    return summarizeLevels(body, 0, Math.min(length, body.length), bitWidth, numberOf(v2, 1) ?? 0);
  }
  const v1 = structOf(header, PageHeaderField.dataPage) as ThriftStruct;
  const prefixOf = pagePrefixOf(place.codec);
  if (!prefixOf || numberOf(v1, DataPageHeaderField.repetitionLevelEncoding) !== Encoding.rle) return undefined;
  const levelEnd = (prefix: Uint8Array): number => (prefix.length < 4 ? 4 : 4 + new DataView(prefix.buffer, prefix.byteOffset, 4).getUint32(0, true));
  let page: Uint8Array;
  try {
    page = await prefixOf(body, numberOf(header, PageHeaderField.uncompressedSize) ?? 0, levelEnd);
  } catch {
    return undefined; // a page that does not decompress is DuckDB's to report
  }
  if (page.length < 4) throw new LevelError('the page is too short for its repetition levels');
  const length = new DataView(page.buffer, page.byteOffset, 4).getUint32(0, true);
  return summarizeLevels(page, 4, Math.min(4 + length, page.length), bitWidth, numberOf(v1, 1) ?? 0);
}

/** Walk the pages of a repeated column chunk: value counts, first level, row starts. */
async function checkRepeatedChunk(handle: FileHandle, chunk: ThriftStruct, meta: ThriftStruct, place: ChunkPlace, footerStart: number): Promise<void> {
  const dictionary = numberOf(meta, ColumnMetaDataField.dictionaryPageOffset) ?? 0;
  const data = numberOf(meta, ColumnMetaDataField.dataPageOffset) ?? 0;
  const start = dictionary > 0 && dictionary < data ? dictionary : data;
  const end = start + (numberOf(meta, ColumnMetaDataField.totalCompressedSize) ?? 0);
  if (start < 4 || end > footerStart || fieldOf(chunk, ColumnChunkField.cryptoMetadata) !== undefined) return;
  const bitWidth = Math.ceil(Math.log2(place.leaf.maxRepetition + 1));
  let values = 0;
  let rowStarts = 0;
  let allDecoded = true;
  let first: number | undefined;
  for (let offset = start; offset < end; ) {
    const page = await pageHeaderAt(handle, offset, end);
    if (!page) return;
    const type = numberOf(page.header, PageHeaderField.type);
    const size = numberOf(page.header, PageHeaderField.compressedSize) ?? 0;
    const bodyAt = offset + page.length;
    offset = bodyAt + size;
    if (type !== PageType.dataPage && type !== PageType.dataPageV2) continue;
    const pageHeader = structOf(page.header, type === PageType.dataPage ? PageHeaderField.dataPage : PageHeaderField.dataPageV2);
    if (!pageHeader || offset > end) return;
    const pageValues = numberOf(pageHeader, 1) ?? 0;
    let levels: LevelSummary | undefined;
    try {
      levels = await pageLevels(page.header, await readAt(handle, bodyAt, size), place, bitWidth);
    } catch (error) {
      if (!(error instanceof LevelError)) throw error;
      throw new ParquetDamageError(`${where(place)}, page at byte ${bodyAt - page.length}: the header declares ${pageValues} values but its repetition levels do not hold them (${error.message})`);
    }
    if (levels) {
      first ??= levels.first;
      rowStarts += levels.rowStarts;
    } else {
      allDecoded = false;
    }
    values += pageValues;
  }
  if (values !== place.values) {
    throw new ParquetDamageError(`${where(place)}: the column chunk declares ${place.values} values but its data pages hold ${values}`);
  }
  if (!allDecoded) return;
  if (first !== undefined && first !== 0) {
    throw new ParquetDamageError(`${where(place)}: the first repetition level is ${first}; a column chunk must start with a new row (level 0), so its first value would be lost`);
  }
  if (rowStarts !== place.rows) {
    throw new ParquetDamageError(`${where(place)}: the repetition levels start ${rowStarts} rows but the row group declares ${place.rows}`);
  }
}

/**
 * Check that a Parquet file's row groups, column chunks and (for repeated
 * columns) page levels agree, throwing a ParquetDamageError naming the row
 * group, column and what disagrees. Flat columns cost one footer read (their
 * value count must equal the row count); only repeated (list/map) columns have
 * their pages read, and only their repetition levels decoded. What this code
 * cannot parse is left for DuckDB to report.
 */
export async function checkParquetLevels(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    let footer;
    try {
      footer = await readParquetFooter(handle);
    } catch (error) {
      if (error instanceof ParquetFooterError) return;
      throw error;
    }
    const leaves = leavesOf(structListOf(footer.metadata, FileMetaDataField.schema));
    if (!leaves) return;
    const rowGroups = structListOf(footer.metadata, FileMetaDataField.rowGroups);
    for (const [index, rowGroup] of rowGroups.entries()) {
      const rows = numberOf(rowGroup, RowGroupField.numRows) ?? 0;
      const chunks = structListOf(rowGroup, RowGroupField.columns);
      if (chunks.length !== leaves.length) return;
      for (const [column, chunk] of chunks.entries()) {
        const meta = structOf(chunk, ColumnChunkField.metaData);
        if (!meta) continue;
        const place: ChunkPlace = { rowGroup: index, rows, leaf: leaves[column] as Leaf, codec: numberOf(meta, ColumnMetaDataField.codec) ?? 0, values: numberOf(meta, ColumnMetaDataField.numValues) ?? 0 };
        if (place.leaf.maxRepetition === 0) {
          if (place.values !== rows) throw new ParquetDamageError(`${where(place)}: the column chunk declares ${place.values} values for the row group's ${rows} rows (a column that is not repeated has one per row)`);
          continue;
        }
        if (place.values < rows) throw new ParquetDamageError(`${where(place)}: the column chunk declares ${place.values} values for ${rows} rows (a row has at least one)`);
        await checkRepeatedChunk(handle, chunk, meta, place, footer.footerStart);
      }
    }
  } finally {
    await handle.close();
  }
}

