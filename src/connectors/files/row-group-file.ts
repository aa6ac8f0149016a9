import { type FileHandle, open } from 'node:fs/promises';
import { ColumnChunkField, ColumnMetaDataField, FileMetaDataField, footerTrailer, PARQUET_MAGIC, type ParquetFooter, readParquetFooter, RowGroupField } from './parquet-footer.js';
import { encodeStruct, fieldOf, structListOf, structOf, type ThriftField, ThriftType, type ThriftStruct } from './thrift-compact.js';

/** Bytes copied per read from a part into the file. */
const COPY_BYTES = 8 * 2 ** 20;

/** Column-chunk offsets (ColumnMetaData fields) that point into the file and move with the bytes. */
const CHUNK_OFFSETS = [ColumnMetaDataField.dataPageOffset, ColumnMetaDataField.indexPageOffset, ColumnMetaDataField.dictionaryPageOffset, ColumnMetaDataField.bloomFilterOffset];
/** Page-index references: the indexes hold absolute page offsets of their own, so they are dropped rather than moved. */
const PAGE_INDEX_FIELDS: ReadonlySet<number> = new Set([ColumnChunkField.offsetIndexOffset, ColumnChunkField.offsetIndexLength, ColumnChunkField.columnIndexOffset, ColumnChunkField.columnIndexLength]);

function shiftField(struct: ThriftStruct, id: number, by: bigint): void {
  const field = struct.fields.find((f) => f.id === id);
  // A zero offset means "not set" for the deprecated ColumnChunk.file_offset some writers leave at 0.
  if (field && typeof field.value === 'bigint' && field.value > 0n) field.value += by;
}

function shiftRowGroup(rowGroup: ThriftStruct, by: bigint, ordinal: number): void {
  shiftField(rowGroup, RowGroupField.fileOffset, by);
  const ordinalField = rowGroup.fields.find((f) => f.id === RowGroupField.ordinal);
  if (ordinalField) {
    // Row-group ordinals are i16: past that range the (optional) field is dropped.
    if (ordinal < 2 ** 15) ordinalField.value = ordinal;
    else rowGroup.fields = rowGroup.fields.filter((f) => f !== ordinalField);
  }
  for (const chunk of structListOf(rowGroup, RowGroupField.columns)) {
    if (fieldOf(chunk, ColumnChunkField.filePath) !== undefined || fieldOf(chunk, ColumnChunkField.cryptoMetadata) !== undefined) {
      throw new Error('cannot move a column chunk stored in another file or encrypted');
    }
    shiftField(chunk, ColumnChunkField.fileOffset, by);
    chunk.fields = chunk.fields.filter((f) => !PAGE_INDEX_FIELDS.has(f.id));
    const meta = structOf(chunk, ColumnChunkField.metaData);
    if (meta) for (const id of CHUNK_OFFSETS) shiftField(meta, id, by);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** Every footer field but the row groups and row count: what parts of one file must share. */
function fileLevelFields(metadata: ThriftStruct): Uint8Array {
  const fields = metadata.fields.filter((f) => f.id !== FileMetaDataField.numRows && f.id !== FileMetaDataField.rowGroups);
  return encodeStruct({ kind: 'struct', fields });
}

/**
 * One Parquet file assembled from the row groups of part files written one
 * after the other (by DuckDB, with the same schema and options): each part's
 * row-group bytes are appended as it arrives, their offsets moved in the
 * footer, and `finish` writes one footer listing every row group. Readers see
 * exactly the file one `COPY ... TO parquet` of all rows would have written,
 * split into the same kind of row groups.
 */
export class RowGroupFile {
  readonly #path: string;
  #handle: FileHandle | undefined;
  #position = 0;
  /** The buffer parts are copied through, once the first part is appended. */
  #copyBuffer: Buffer | undefined;
  #first: ThriftStruct | undefined;
  #firstFields: Uint8Array | undefined;
  readonly #rowGroups: ThriftStruct[] = [];
  #rows = 0n;
  /**
   * An fdatasync of the parts appended so far, started after each append when
   * none is running: the final fsync then flushes only the last part (30-47 ms
   * on 41 MiB before), as text files do (text-file-sink.ts).
   */
  #earlySync: Promise<void> | undefined;

  private constructor(path: string) {
    this.#path = path;
  }

  static async create(path: string): Promise<RowGroupFile> {
    const file = new RowGroupFile(path);
    file.#handle = await open(path, 'w');
    await file.#handle.write(PARQUET_MAGIC, 0, PARQUET_MAGIC.length, 0);
    file.#position = PARQUET_MAGIC.length;
    return file;
  }

  /** Rows in the parts appended so far. */
  get rows(): bigint {
    return this.#rows;
  }

  /** Append the row groups of the Parquet file at `partPath`. */
  async append(partPath: string): Promise<void> {
    const handle = this.#handle;
    if (!handle) throw new Error(`${this.#path}: row-group file is closed`);
    const part = await open(partPath, 'r');
    try {
      const footer = await readParquetFooter(part);
      this.#checkCompatible(footer.metadata, partPath);
      const by = BigInt(this.#position - PARQUET_MAGIC.length);
      await this.#copyBody(part, footer, handle);
      for (const rowGroup of structListOf(footer.metadata, FileMetaDataField.rowGroups)) {
        shiftRowGroup(rowGroup, by, this.#rowGroups.length);
        this.#rowGroups.push(rowGroup);
      }
      const rows = fieldOf(footer.metadata, FileMetaDataField.numRows);
      this.#rows += typeof rows === 'bigint' ? rows : 0n;
    } finally {
      await part.close();
    }
    if (!this.#earlySync) {
      const syncing = handle.datasync().finally(() => {
        if (this.#earlySync === syncing) this.#earlySync = undefined;
      });
      // A failure here shows again in finish's own fsync; the close waits for it.
      syncing.catch(() => undefined);
      this.#earlySync = syncing;
    }
  }

  #checkCompatible(metadata: ThriftStruct, partPath: string): void {
    const fields = fileLevelFields(metadata);
    if (!this.#first) {
      this.#first = metadata;
      this.#firstFields = fields;
    } else if (!sameBytes(fields, this.#firstFields as Uint8Array)) {
      throw new Error(`${partPath}: its schema or file metadata differs from the first part's`);
    }
  }

  async #copyBody(part: FileHandle, footer: ParquetFooter, out: FileHandle): Promise<void> {
    // One buffer for every append (appends run one at a time: each moves the write position): 8 MiB
    // allocated per part was most of a PG -> Parquet run's garbage collections.
    const buffer = (this.#copyBuffer ??= Buffer.allocUnsafe(COPY_BYTES));
    for (let at = PARQUET_MAGIC.length; at < footer.footerStart; ) {
      const { bytesRead } = await part.read(buffer, 0, Math.min(COPY_BYTES, footer.footerStart - at), at);
      if (bytesRead === 0) throw new Error('part file shrank while being copied');
      await out.write(buffer, 0, bytesRead, this.#position);
      at += bytesRead;
      this.#position += bytesRead;
    }
  }

  /** Write the footer, fsync and close; the file is then complete (not yet published). */
  async finish(): Promise<bigint> {
    const handle = this.#handle;
    if (!handle || !this.#first) throw new Error(`${this.#path}: no part was appended`);
    const fields: ThriftField[] = this.#first.fields.map((f) => {
      if (f.id === FileMetaDataField.numRows) return { ...f, value: this.#rows };
      if (f.id === FileMetaDataField.rowGroups) return { ...f, value: { kind: 'list', type: ThriftType.list, elementType: ThriftType.struct, items: this.#rowGroups } };
      return f;
    });
    const footer = encodeStruct({ kind: 'struct', fields });
    await handle.write(footer, 0, footer.length, this.#position);
    const trailer = footerTrailer(footer.length);
    await handle.write(trailer, 0, trailer.length, this.#position + footer.length);
    await this.#earlySync?.catch(() => undefined);
    await handle.sync();
    await this.close();
    return this.#rows;
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    this.#copyBuffer = undefined;
    await this.#earlySync?.catch(() => undefined);
    await handle?.close();
  }
}
