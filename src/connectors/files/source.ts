import { CancelledError, ConfigError, FerryError } from '../../core/errors.js';
import type { ConnectorContext, CursorRead, RawFormat, ReadRequest, ReadTarget, Source } from '../../core/connector.js';
import type { Batch, Column, Row, StreamDescriptor } from '../../core/schema.js';
import { filterRowPredicate, filterText, type RowFilter } from '../../core/row-filter.js';
import { compareValues } from '../../core/values.js';
import { csvOptionsFor, inferenceOptions, type FilesConfig } from './config.js';
import { locateCsvRecord, pgCsvOfFile, pgCsvRefusal } from './csv-pass-through.js';
import type { DecodedFile } from './decoded-file.js';
import type { SourceFile } from './file-input.js';
import { listDataFiles, listStreamFiles } from './file-listing.js';
import { FileOpener } from './file-opener.js';
import type { ParquetReader } from './parquet-reader.js';
import { resolveFormat } from './file-format.js';

function tablePattern(target: ReadTarget, stream: string): string {
  if (target.kind === 'query') {
    throw new ConfigError(`stream ${stream}: SQL queries are not supported by the files connector`, {
      stream,
      hint: 'name a file or glob as the stream table (e.g. `exports/*.csv`); to query files with SQL, load them into DuckDB first',
    });
  }
  return target.table.name;
}

function projection(columns: readonly Column[], wanted: readonly string[] | undefined, stream: string): number[] {
  if (wanted === undefined) return columns.map((_, i) => i);
  return wanted.map((name) => {
    const i = columns.findIndex((c) => c.name === name);
    if (i < 0) throw new ConfigError(`stream ${stream}: no column "${name}" in the file (columns: ${columns.map((c) => c.name).join(', ')})`, { stream });
    return i;
  });
}

function cursorFilter(columns: readonly Column[], cursor: CursorRead | undefined, stream: string): (row: Row) => boolean {
  if (cursor === undefined) return () => true;
  const i = projection(columns, [cursor.column], stream)[0] as number;
  const kind = (columns[i] as Column).type.kind;
  const { from, to } = cursor;
  const bounded = to !== undefined && to !== null;
  return (row) => {
    const value = row[i] ?? null;
    if (value === null) return cursor.includeNulls;
    if (from !== undefined && from !== null && compareValues(kind, value, from) < 0) return false;
    return !bounded || compareValues(kind, value, to) <= 0;
  };
}

/** Cursor bound and row filters over full decoded rows; exact comparisons by kind (no floats for decimals or int64). */
function rowFilter(columns: readonly Column[], request: ReadRequest): (row: Row) => boolean {
  const cursor = cursorFilter(columns, request.cursor, request.stream);
  const filters = (request.filters ?? []).map((f: RowFilter) => {
    projection(columns, [f.column], request.stream);
    return filterRowPredicate(f, columns, compareValues);
  });
  return (row) => cursor(row) && filters.every((keep) => keep(row));
}

/**
 * Reads files under the connection's folder: a stream is a file or a glob
 * (read in sorted order as one stream). The cursor is applied after decoding
 * (`>= from`), and so are row `filters`; `where` is applied by DuckDB for Parquet and refused for CSV/JSONL.
 */
export class FilesSource implements Source {
  readonly rawFormats: readonly RawFormat[] = ['pg-csv'];
  readonly #root: string;
  readonly #config: FilesConfig;
  readonly #ctx: ConnectorContext;
  /** DuckDB's native binding (about 0.4 s to load) comes in with the first Parquet file: CSV and JSONL reads never load it. */
  #parquet: Promise<ParquetReader> | undefined;
  readonly #opener: FileOpener;

  constructor(config: FilesConfig, root: string, ctx: ConnectorContext) {
    this.#config = config;
    this.#root = root;
    this.#ctx = ctx;
    this.#opener = new FileOpener(config, () => (this.#parquet ??= import('./parquet-reader.js').then((m) => new m.ParquetReader())));
  }

  async discover(): Promise<StreamDescriptor[]> {
    const found: StreamDescriptor[] = [];
    for (const name of await listDataFiles(this.#root)) {
      try {
        found.push(await this.describe({ kind: 'table', table: { name } }));
      } catch (error) {
        this.#ctx.logger.warn({ file: name, error: (error as Error).message }, 'skipping a file that cannot be read');
      }
    }
    return found;
  }

  async describe(target: ReadTarget): Promise<StreamDescriptor> {
    const name = tablePattern(target, target.kind === 'table' ? target.table.name : 'query');
    const [first] = await listStreamFiles(this.#root, name, name);
    const file = await this.#opener.open(first as SourceFile, { stream: name, signal: new AbortController().signal });
    await file.close();
    return { name, table: { name }, columns: file.columns, primaryKey: [] };
  }

  readSql(request: ReadRequest): string {
    const pattern = tablePattern(request.target, request.stream);
    const format = resolveFormat(pattern.replace(/[*?]/g, 'x'), this.#config.format);
    const cursor = request.cursor;
    const filters = [
      request.where,
      ...(request.filters ?? []).map(filterText),
      cursor && `${cursor.column} >= ${cursor.from === undefined ? '(start)' : String(cursor.from)}${cursor.includeNulls ? ` OR ${cursor.column} IS NULL` : ''}`,
      cursor?.to !== undefined && cursor.to !== null ? `${cursor.column} <= ${String(cursor.to)}` : undefined,
    ].filter((f): f is string => typeof f === 'string');
    const source = format === 'parquet' ? `read_parquet('${pattern}')` : `read ${format} '${pattern}'`;
    return `SELECT ${request.columns?.join(', ') ?? '*'} FROM ${source}${filters.length > 0 ? ` WHERE ${filters.join(' AND ')}` : ''}`;
  }

  async count(request: ReadRequest): Promise<number> {
    let rows = 0;
    for await (const batch of this.read(request, new AbortController().signal)) rows += batch.rows.length;
    return rows;
  }

  async *read(request: ReadRequest, signal: AbortSignal): AsyncGenerator<Batch> {
    const pattern = tablePattern(request.target, request.stream);
    const files = await listStreamFiles(this.#root, pattern, request.stream);
    let expected: { file: SourceFile; columns: readonly Column[] } | undefined;
    let pick: number[] = [];
    let keep: (row: Row) => boolean = () => true;
    let columns: Column[] = [];
    let rows: Row[] = [];
    for (const file of files) {
      const decoded: DecodedFile = await this.#opener.open(file, { stream: request.stream, signal, ...(expected ? { expected } : {}), ...(request.where === undefined ? {} : { where: request.where }) });
      if (expected === undefined) {
        expected = { file, columns: decoded.columns };
        pick = projection(decoded.columns, request.columns, request.stream);
        keep = rowFilter(decoded.columns, request);
        columns = pick.map((i) => decoded.columns[i] as Column);
      }
      // Rows are new arrays per file row: without a projection they go into the batch as they are.
      const identity = pick.length === decoded.columns.length && pick.every((p, i) => p === i);
      try {
        for await (const run of decoded.rows) {
          for (const row of run) {
            if (!keep(row)) continue;
            rows.push(identity ? row : pick.map((i) => row[i] ?? null));
            if (rows.length >= request.batchSize) {
              if (signal.aborted) throw new CancelledError('read cancelled', { stream: request.stream, file: file.name });
              yield { columns, rows };
              rows = [];
            }
          }
        }
      } finally {
        await decoded.close();
      }
    }
    if (rows.length > 0) yield { columns, rows };
  }

  /** `pg-csv` for CSV reads Postgres parses exactly as the decoded path would (see csv-pass-through.ts). */
  rawFormatsFor(request: ReadRequest, columns: readonly Column[]): readonly RawFormat[] {
    if (request.target.kind !== 'table') return [];
    const pattern = request.target.table.name;
    const refusal = pgCsvRefusal(pattern, csvOptionsFor(this.#config.csv, pattern), inferenceOptions(this.#config, 'csv'), request, columns);
    return refusal === undefined ? this.rawFormats : [];
  }

  /** The stream's CSV files, one after the other, as `pg-csv` records (headers dropped). */
  async *readRaw(request: ReadRequest, format: RawFormat, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    const pattern = tablePattern(request.target, request.stream);
    const { columns } = await this.describe(request.target);
    const inference = inferenceOptions(this.#config, 'csv');
    const refusal = format === 'pg-csv' ? pgCsvRefusal(pattern, csvOptionsFor(this.#config.csv, pattern), inference, request, columns) : `format ${format}`;
    if (refusal !== undefined) throw new FerryError(`stream ${request.stream} cannot pass through as ${format}: ${refusal}`, { stream: request.stream });
    const files = await listStreamFiles(this.#root, pattern, request.stream);
    for (const [i, file] of files.entries()) {
      if (signal.aborted) throw new CancelledError('read cancelled', { stream: request.stream, file: file.name });
      const csv = csvOptionsFor(this.#config.csv, file.path);
      yield* pgCsvOfFile(file, { csv, inference, columns, signal, ...(i > 0 ? { first: files[0] as SourceFile } : {}) });
    }
  }

  /** File and line of the record at COPY line `position` of a `pg-csv` read (found by reading the files again). */
  async locateRawRow(request: ReadRequest, _format: RawFormat, position: number): Promise<{ file: string; line: number } | undefined> {
    const pattern = tablePattern(request.target, request.stream);
    const files = await listStreamFiles(this.#root, pattern, request.stream);
    return locateCsvRecord(files, csvOptionsFor(this.#config.csv, pattern), position, new AbortController().signal);
  }

  async close(): Promise<void> {
    const parquet = this.#parquet;
    this.#parquet = undefined;
    if (parquet) (await parquet).close();
  }
}
