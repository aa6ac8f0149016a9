import type { Column } from '../../core/schema.js';
import { ConfigError } from '../../core/errors.js';
import { type FilesConfig, csvOptionsFor, inferenceOptions } from './config.js';
import { openCsvFile } from './csv-file.js';
import type { DecodedFile } from './decoded-file.js';
import { resolveFormat } from './file-format.js';
import type { SourceFile } from './file-input.js';
import { openJsonlFile } from './jsonl-file.js';
import type { ParquetReader } from './parquet-reader.js';

export interface OpenFileOptions {
  readonly stream: string;
  readonly expected?: { readonly file: SourceFile; readonly columns: readonly Column[] };
  readonly where?: string;
  readonly signal: AbortSignal;
}

/** Opens one file with the reader of its format. */
export class FileOpener {
  readonly #config: FilesConfig;
  readonly #parquet: () => Promise<ParquetReader>;

  /** `parquet` gives the Parquet reader, loading it on first use. */
  constructor(config: FilesConfig, parquet: () => Promise<ParquetReader>) {
    this.#config = config;
    this.#parquet = parquet;
  }

  async open(file: SourceFile, options: OpenFileOptions): Promise<DecodedFile> {
    const format = resolveFormat(file.name, this.#config.format);
    const expected = options.expected === undefined ? {} : { expected: options.expected };
    if (format === 'parquet') {
      return (await this.#parquet()).open(file, { ...expected, signal: options.signal, ...(options.where === undefined ? {} : { where: options.where }) });
    }
    if (options.where !== undefined) {
      throw new ConfigError(`stream ${options.stream}: \`where\` is not supported for ${format.toUpperCase()} files`, {
        stream: options.stream,
        hint: 'remove `where` (filter in a model downstream) or convert the files to Parquet, where DuckDB applies it',
      });
    }
    const inference = inferenceOptions(this.#config, format);
    if (format === 'csv') return openCsvFile(file, { csv: csvOptionsFor(this.#config.csv, file.path), inference, signal: options.signal, ...expected });
    return openJsonlFile(file, { inference, signal: options.signal, ...expected });
  }
}
