import { z } from 'zod';

/** Placeholder names: `{last_loaded}` in a stream's `sql` or `where`. */
export const WATERMARK_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const watermarkSchema = z
  .strictObject({
    connection: z
      .string()
      .min(1)
      .optional()
      .describe('Connection (from ferry.yml) the resolver query runs on. Default: the sync\'s destination.'),
    sql: z.string().min(1).describe('Resolver query; its first column of its first row replaces {name}, e.g. "select max(updated_at) from raw.orders".'),
    default: z
      .union([z.string(), z.number().transform(String)])
      .optional()
      .describe('Value used when the query returns no row or NULL (or fails, e.g. the table does not exist yet), e.g. "1970-01-01". Parsed as the query column\'s type.'),
  })
  .describe('A named watermark: {connection, sql, default}.');

export const watermarksSchema = z
  .record(z.string().regex(WATERMARK_NAME, { error: 'a watermark name is letters, digits and _ (not starting with a digit)' }), watermarkSchema)
  .optional()
  .describe(
    'Named watermarks: each resolver query runs before the read and its value replaces {name} in the stream\'s `sql` or `where`, as a quoted literal typed for the source (never raw text). Resolved values are recorded on the run.',
  );

export type WatermarkEntry = z.output<typeof watermarkSchema>;
