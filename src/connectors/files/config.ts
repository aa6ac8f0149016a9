import { z } from 'zod';
import { LOGICAL_TYPE_KINDS } from '../../core/schema.js';

/** File formats the connector reads and writes. */
export const FILE_FORMATS = ['csv', 'jsonl', 'parquet'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

/** Compression applied when writing CSV/JSONL (Parquet always compresses its pages with zstd). */
export const FILE_COMPRESSIONS = ['none', 'gzip'] as const;
export type FileCompression = (typeof FILE_COMPRESSIONS)[number];

const columnTypes = z
  .record(z.string(), z.enum(LOGICAL_TYPE_KINDS))
  .describe('Column name -> logical kind, overriding type inference for that column');

const inferenceShape = {
  infer_types: z.boolean().optional().describe('Infer int64/decimal/boolean/date/timestamp columns from a sample (default true); false reads every column as string'),
  sample_rows: z.number().int().positive().optional().describe('Rows sampled for type inference (default 1000)'),
  column_types: columnTypes.optional(),
};

const csvOptions = z
  .object({
    delimiter: z.string().min(1).default(','),
    quote: z.string().length(1).default('"'),
    escape: z.string().length(1).default('"'),
    header: z.boolean().default(true).describe('The first (non-skipped) line names the columns'),
    columns: z.array(z.string().min(1)).optional().describe('Column names when `header` is false'),
    null_values: z
      .array(z.string())
      .default([''])
      .describe('Unquoted field texts read as NULL; a quoted "" is always the empty string'),
    skip_rows: z.number().int().min(0).default(0).describe('Lines skipped before the header'),
    encoding: z.enum(['utf8', 'utf16le', 'latin1']).default('utf8'),
    bom: z.boolean().default(true).describe('Strip a leading byte order mark'),
    ...inferenceShape,
  })
  .strict();

/** Settings of a `files` connection. */
export const filesConfigSchema = z
  .object({
    path: z.string().min(1).describe('Root folder, relative to the project folder'),
    format: z.enum(FILE_FORMATS).optional().describe('Default format; otherwise taken from each file extension (.gz stripped)'),
    csv: csvOptions.prefault({}),
    ...inferenceShape,
    compression: z.enum(FILE_COMPRESSIONS).default('none').describe('Compression of written CSV/JSONL files'),
  })
  .strict();

export type FilesConfig = z.infer<typeof filesConfigSchema>;
export type CsvOptions = FilesConfig['csv'];

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
