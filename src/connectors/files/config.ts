import { z } from 'zod';
import { LOGICAL_TYPE_KINDS } from '../../core/schema.js';

/** File formats the connector reads and writes. */
export const FILE_FORMATS = ['csv', 'jsonl', 'parquet'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

/** Compression applied when writing CSV/JSONL (Parquet pages: `parquet.compression`). */
export const FILE_COMPRESSIONS = ['none', 'gzip'] as const;
export type FileCompression = (typeof FILE_COMPRESSIONS)[number];

/** Page codecs a written Parquet file may use (DuckDB's names). */
export const PARQUET_COMPRESSIONS = ['zstd', 'snappy', 'gzip', 'lz4_raw', 'brotli', 'uncompressed'] as const;
export type ParquetCompression = (typeof PARQUET_COMPRESSIONS)[number];

/**
 * zstd level of written Parquet pages when none is set. Level 1 wrote the PG ->
 * Parquet benchmark's 1M rows in 0.47 s against 0.74-0.97 s at zstd's default
 * level 3, for a file 5% larger (41 MiB against 39; snappy: 0.58 s, 65 MiB).
 */
export const DEFAULT_ZSTD_LEVEL = 1;

const parquetOptions = z
  .object({
    compression: z
      .enum(PARQUET_COMPRESSIONS)
      .default('zstd')
      .describe('Codec of the pages of written Parquet files. Default: zstd. Example: snappy'),
    compression_level: z
      .number()
      .int()
      .min(1)
      .max(22)
      .optional()
      .describe('zstd level of written Parquet pages, 1-22: higher makes smaller files, written more slowly. Only with compression zstd. Default: 1. Example: 9'),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.compression_level !== undefined && value.compression !== 'zstd') {
      ctx.addIssue({ code: 'custom', path: ['compression_level'], message: `compression_level applies to zstd only, not to ${value.compression}` });
    }
  });

const columnTypes = z
  .record(z.string(), z.enum(LOGICAL_TYPE_KINDS))
  .describe('Column name -> logical kind, overriding type inference for that column. Default: none. Example: { zip: string, paid_at: timestamptz }');

const inferenceShape = {
  infer_types: z
    .boolean()
    .optional()
    .describe('Infer int64/decimal/boolean/date/timestamp columns from a sample; false reads every column as string. Default: true. Example: false'),
  sample_rows: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Rows sampled from the start of the first file for type inference. Default: 1000. Example: 10000'),
  column_types: columnTypes.optional(),
};

const csvOptions = z
  .object({
    delimiter: z
      .string()
      .min(1)
      .optional()
      .describe('Field separator, one or more characters. Default: a tab for `.tsv` files, "," otherwise. Example: ";"'),
    quote: z
      .string()
      .length(1)
      .default('"')
      .describe('Character that encloses a field holding delimiters, quotes or line breaks. Default: \'"\'. Example: "\'"'),
    escape: z
      .string()
      .length(1)
      .default('"')
      .describe('Character that escapes a quote inside a quoted field (RFC 4180 doubles the quote). Default: \'"\'. Example: "\\\\"'),
    header: z
      .boolean()
      .default(true)
      .describe('The first (non-skipped) line names the columns; written files always get a header. Default: true. Example: false'),
    columns: z
      .array(z.string().min(1))
      .optional()
      .describe('Column names when `header` is false, in file order. Default: none. Example: [id, name, amount]'),
    null_values: z
      .array(z.string())
      .default([''])
      .describe('Unquoted field texts read as NULL; a quoted "" is always the empty string. Default: [""]. Example: ["", "NULL", "\\\\N"]'),
    skip_rows: z.number().int().min(0).default(0).describe('Lines skipped before the header (or the first row). Default: 0. Example: 2'),
    encoding: z
      .enum(['utf8', 'utf16le', 'latin1'])
      .default('utf8')
      .describe('Text encoding of CSV files read. Default: utf8. Example: latin1'),
    bom: z.boolean().default(true).describe('Strip a leading byte order mark when reading. Default: true. Example: false'),
    // The top-level inference keys again, described for their scope: inside `csv` they win for CSV files.
    infer_types: inferenceShape.infer_types.describe(
      'For CSV files, overrides the top-level `infer_types`: infer int64/decimal/boolean/date/timestamp columns from a sample; false reads every column as string. Default: true. Example: false',
    ),
    sample_rows: inferenceShape.sample_rows.describe(
      'For CSV files, overrides the top-level `sample_rows`: rows sampled for type inference. Default: 1000. Example: 10000',
    ),
    column_types: inferenceShape.column_types.describe(
      'For CSV files, merged over the top-level `column_types` (these win): column name -> logical kind, overriding inference. Example: { zip: string }',
    ),
  })
  .strict();

/** Settings of a `files` connection. */
export const filesConfigSchema = z
  .object({
    path: z
      .string()
      .min(1)
      .describe('Root folder of the files; stream tables are paths or globs under it. Relative to the project folder. Example: data/exports'),
    format: z
      .enum(FILE_FORMATS)
      .optional()
      .describe(
        'Format of files whose extension does not say (.csv .tsv .jsonl .ndjson .parquet, .gz stripped), and of default write targets. Default: from the extension; csv for default targets. Example: jsonl',
      ),
    csv: csvOptions
      .prefault({})
      .describe('CSV reading and writing options (delimiter, quoting, NULL texts, header, inference overrides). Default: {}. Example: { delimiter: ";", null_values: ["", "NULL"] }'),
    ...inferenceShape,
    compression: z
      .enum(FILE_COMPRESSIONS)
      .default('none')
      .describe('Compression of written CSV/JSONL files (gzip adds .gz); Parquet pages are set by `parquet.compression`. Reading detects .gz. Default: none. Example: gzip'),
    parquet: parquetOptions
      .prefault({})
      .describe('Parquet writing options: page codec and zstd level. Default: { compression: zstd, compression_level: 1 }. Example: { compression: snappy }'),
  })
  .strict()
  .describe('Folder of CSV, JSONL and Parquet files (source and destination).');

export type FilesConfig = z.infer<typeof filesConfigSchema>;
/** CSV options with the delimiter resolved for one file. */
export type CsvOptions = Omit<FilesConfig['csv'], 'delimiter'> & { readonly delimiter: string };

/** The CSV options for `path`: the configured delimiter, else a tab for `.tsv` files and a comma otherwise. */
export function csvOptionsFor(csv: FilesConfig['csv'], path: string): CsvOptions {
  const plain = path.toLowerCase().replace(/\.gz$/, '');
  return { ...csv, delimiter: csv.delimiter ?? (plain.endsWith('.tsv') ? '\t' : ',') };
}

/** Type inference settings after defaults, per format. */
export interface InferenceOptions {
  readonly inferTypes: boolean;
  readonly sampleRows: number;
  readonly columnTypes: Readonly<Record<string, (typeof LOGICAL_TYPE_KINDS)[number]>>;
}

/**
 * Inference settings for a format: the `csv` block wins for CSV files, the
 * top-level keys apply to CSV and JSONL alike.
 */
export function inferenceOptions(config: FilesConfig, format: FileFormat): InferenceOptions {
  const csv = format === 'csv' ? config.csv : undefined;
  return {
    inferTypes: csv?.infer_types ?? config.infer_types ?? true,
    sampleRows: csv?.sample_rows ?? config.sample_rows ?? 1000,
    columnTypes: { ...config.column_types, ...csv?.column_types },
  };
}
