import { basename, dirname, relative } from 'node:path';
import type { Checkpoint } from '../../core/checkpoint.js';
import type {
  CommitResult,
  ConnectorContext,
  Destination,
  DestinationCapabilities,
  OpenRequest,
  RawFormat,
  StreamWriter,
  WriteResult,
} from '../../core/connector.js';
import { CancelledError, ConfigError } from '../../core/errors.js';
import { FerryColumns } from '../../core/ferry-columns.js';
import type { Batch, Column, Row, StreamDescriptor, TableRef } from '../../core/schema.js';
import type { TypeFidelity } from '../../core/type-fidelity.js';
import { csvOptionsFor, type FileFormat, type FilesConfig } from './config.js';
import { CsvFileWriter, writesFerryCsv } from './csv-writer.js';
import { appendPartPath, publishFile, removeAppendParts, tempPathFor } from './file-publisher.js';
import { FORMAT_EXTENSIONS, isGzipPath, pathStem, resolveFormat } from './file-format.js';
import { pathUnderRoot } from './file-listing.js';
import { JsonlFileWriter } from './jsonl-writer.js';
import type { ParquetFileWriter } from './parquet-writer.js';
import { takesPgBinary } from './pg-binary-parts.js';
import { filesTypeFidelity } from './type-fidelity.js';
import type { RowFileWriter } from './text-file-sink.js';

const CAPABILITIES: DestinationCapabilities = {
  writes: ['replace', 'append', 'truncate'],
  transactional: false,
  rawFormats: ['pg-binary', 'ferry-csv'],
  schemas: false,
};

/** Where a stream's file goes, decided at open. */
interface OutputPlan {
  readonly format: FileFormat;
  readonly gzip: boolean;
  /** Path the commit renames the temp file to. */
  readonly publishPath: string;
  readonly tempPath: string;
  /** For replace/truncate: folder and stem whose old append parts are removed after publishing. */
  readonly resetParts?: { readonly folder: string; readonly stem: string };
}

function createRowWriter(plan: OutputPlan, columns: readonly Column[], config: FilesConfig): Promise<RowFileWriter> | RowFileWriter {
  // DuckDB's native binding loads only for Parquet targets.
  if (plan.format === 'parquet') {
    const { compression, compression_level: level } = config.parquet;
    return import('./parquet-writer.js').then((m) => m.ParquetFileWriter.create(plan.tempPath, columns, { compression, ...(level !== undefined ? { compressionLevel: level } : {}) }));
  }
  if (plan.format === 'csv') return new CsvFileWriter(plan.tempPath, columns, csvOptionsFor(config.csv, plan.publishPath), plan.gzip);
  return new JsonlFileWriter(plan.tempPath, columns, plan.gzip);
}

/** A writer that takes raw bytes (`ferry-csv` records or `pg-binary` rows); returns how many rows the bytes completed. */
interface RecordWriter {
  writeRecords(bytes: Uint8Array): Promise<number>;
}

/**
 * The writer, when raw bytes may go into it: `pg-binary` into a Parquet target
 * whose every column re-encodes from binary COPY (pg-binary-parts.ts);
 * `ferry-csv` for streams of two columns or more (what the source promises it
 * for): a CSV target in the dialect Postgres writes takes them as they are; a
 * Parquet target converts them in DuckDB unless a column is a float (parquet-writer.ts).
 */
async function rawRecordWriter(request: OpenRequest, plan: OutputPlan, writer: RowFileWriter, config: FilesConfig): Promise<RecordWriter | undefined> {
  if (request.rawFormat === 'pg-binary') {
    if (plan.format !== 'parquet' || !takesPgBinary(request.columns)) return undefined;
    const parquet = writer as ParquetFileWriter;
    return { writeRecords: (bytes) => parquet.writeBinary(bytes) };
  }
  if (request.rawFormat !== 'ferry-csv' || request.columns.length < 2) return undefined;
  if (writer instanceof CsvFileWriter) return writesFerryCsv(csvOptionsFor(config.csv, plan.publishPath)) ? writer : undefined;
  if (plan.format !== 'parquet') return undefined;
  const { parquetTakesFerryCsv } = await import('./parquet-writer.js');
  return parquetTakesFerryCsv(request.columns) ? (writer as ParquetFileWriter) : undefined;
}

/** Reorder a batch's rows to the columns the writer was opened with (by name; missing -> NULL). */
function alignRows(batch: Batch, columns: readonly Column[]): readonly Row[] {
  if (batch.columns.length === columns.length && batch.columns.every((c, i) => c.name === columns[i]?.name)) return batch.rows;
  const index = columns.map((c) => batch.columns.findIndex((b) => b.name === c.name));
  return batch.rows.map((row) => index.map((i) => (i < 0 ? null : (row[i] ?? null))));
}

/**
 * Stages rows in a hidden temp file next to the target; `commit` fsyncs it and
 * renames it into place (atomic: a reader sees the old file or the new one,
 * never half of one); `abort` deletes it.
 */
class FileStreamWriter implements StreamWriter {
  /** Present when the engine passes raw bytes and this target can take them (`ferry-csv` into CSV as they are or Parquet through DuckDB; `pg-binary` into Parquet). */
  readonly writeRaw?: (chunks: AsyncIterable<Uint8Array>, signal: AbortSignal) => Promise<WriteResult>;
  /** Where the temp file is: an ordered parallel read spills ranges waiting for their turn there. */
  readonly tempFolder: string;
  #rows = 0;
  #done = false;

  constructor(
    private readonly plan: OutputPlan,
    private readonly writer: RowFileWriter,
    private readonly columns: readonly Column[],
    private readonly root: string,
    raw: RecordWriter | undefined,
  ) {
    if (raw) this.writeRaw = (chunks, signal) => this.#writeRaw(raw, chunks, signal);
    this.tempFolder = dirname(plan.tempPath);
  }

  async #writeRaw(raw: RecordWriter, chunks: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<WriteResult> {
    let rows = 0;
    for await (const chunk of chunks) {
      if (signal.aborted) throw new CancelledError('write cancelled', { file: relative(this.root, this.plan.publishPath) });
      rows += await raw.writeRecords(chunk);
    }
    this.#rows += rows;
    return { rows };
  }

  async write(batch: Batch): Promise<WriteResult> {
    const rows = alignRows(batch, this.columns);
    await this.writer.write(rows);
    this.#rows += rows.length;
    return { rows: rows.length };
  }

  async commit(_checkpoint: Checkpoint | undefined): Promise<CommitResult> {
    await this.writer.finish();
    await publishFile(this.plan.tempPath, this.plan.publishPath);
    this.#done = true;
    const shown = relative(this.root, this.plan.publishPath);
    const sql = [`-- wrote ${this.#rows} rows to ${shown} (${this.plan.format}${this.plan.gzip ? ', gzip' : ''})`];
    if (this.plan.resetParts) {
      const removed = await removeAppendParts(this.plan.resetParts.folder, this.plan.resetParts.stem);
      if (removed.length > 0) sql.push(`-- removed ${removed.length} part files of earlier appends`);
    }
    return { rows: this.#rows, sql };
  }

  async abort(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await this.writer.discard();
  }
}

/**
 * Writes each stream to one file under the connection's folder. `replace` and
 * `truncate` atomically replace the target; `append` adds a part file
 * `<stem>/part-<runId>.<ext>` next to it. Not transactional: a crash after a
 * file is published but before the engine saves its checkpoint makes the next
 * incremental run read again from the previous checkpoint (at-least-once for
 * append; replace is idempotent).
 */
export class FilesDestination implements Destination {
  readonly capabilities = CAPABILITIES;
  readonly #config: FilesConfig;
  readonly #root: string;

  constructor(config: FilesConfig, root: string, _ctx: ConnectorContext) {
    this.#config = config;
    this.#root = root;
  }

  /** Decided by the target file's format (its extension, else the connection's `format`). */
  typeFidelity(column: Column, target: TableRef): TypeFidelity {
    return filesTypeFidelity(column, resolveFormat(target.name, this.#config.format));
  }

  /**
   * Parquet targets take Postgres binary COPY when every column's binary form
   * re-encodes into Parquet (pg-binary-parts.ts), and `ferry-csv` records;
   * CSV and JSONL targets take `ferry-csv` (used where the dialect matches).
   */
  rawFormatsFor(target: TableRef, columns: readonly Column[]): readonly RawFormat[] {
    const parquet = resolveFormat(target.name, this.#config.format) === 'parquet';
    return parquet && takesPgBinary(columns) ? ['pg-binary', 'ferry-csv'] : ['ferry-csv'];
  }

  defaultTarget(stream: StreamDescriptor): TableRef {
    const format = this.#config.format ?? 'csv';
    const gz = format !== 'parquet' && this.#config.compression === 'gzip' ? '.gz' : '';
    const stem = pathStem(stream.table.name).replace(/[*?[\]{}]/g, '_');
    return { name: `${stem}${FORMAT_EXTENSIONS[format]}${gz}` };
  }

  async #plan(request: OpenRequest): Promise<OutputPlan> {
    const name = request.target.name;
    const format = resolveFormat(name, this.#config.format);
    const gzip = format !== 'parquet' && (isGzipPath(name) || this.#config.compression === 'gzip');
    const target = pathUnderRoot(this.#root, gzip && !isGzipPath(name) ? `${name}.gz` : name);
    const ext = `${FORMAT_EXTENSIONS[format]}${gzip ? '.gz' : ''}`;
    const folder = dirname(target);
    const stem = pathStem(basename(target));
    if (request.write === 'append') {
      const publishPath = await appendPartPath(folder, stem, request.runId, ext);
      return { format, gzip, publishPath, tempPath: await tempPathFor(publishPath) };
    }
    return { format, gzip, publishPath: target, tempPath: await tempPathFor(target), resetParts: { folder, stem } };
  }

  async open(stream: OpenRequest, _signal: AbortSignal): Promise<StreamWriter> {
    if (!CAPABILITIES.writes.includes(stream.write)) {
      throw new ConfigError(`stream ${stream.stream}: the files destination cannot ${stream.write}`, {
        stream: stream.stream,
        hint: `use write: replace, append or truncate (files have no keys to ${stream.write} on)`,
      });
    }
    const ferry = FerryColumns.of(stream);
    const { request } = ferry;
    const plan = await this.#plan(request);
    const writer = await createRowWriter(plan, request.columns, this.#config);
    try {
      const raw = await rawRecordWriter(request, plan, writer, this.#config);
      return ferry.wrap(new FileStreamWriter(plan, writer, request.columns, this.#root, raw));
    } catch (error) {
      await writer.discard();
      throw error;
    }
  }

  /** Files are not transactional: the engine's state store holds the checkpoint. */
  async readCheckpoint(_sync: string, _stream: string): Promise<Checkpoint | undefined> {
    return undefined;
  }

  async close(): Promise<void> {}
}
