import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { ConnectorContext } from '../../core/connector.js';

/** Settings of a `type: duckdb` connection in ferry.yml. */
export const duckdbConfigSchema = z
  .object({
    /** Database file relative to the project folder, or `:memory:`. */
    path: z
      .string()
      .min(1)
      .describe(
        'DuckDB database file; a relative path resolves against the project folder; `:memory:` for a throwaway database. Example: data/warehouse.duckdb',
      ),
    /** Schema for tables written without one, and for Ferry's checkpoints. */
    schema: z
      .string()
      .min(1)
      .default('main')
      .describe('Schema for tables named without one (read and written) and for Ferry\'s checkpoints table. Default: main. Example: raw'),
    /** DuckDB worker threads (default: DuckDB's, one per core). */
    threads: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("DuckDB worker threads (a positive integer). Default: DuckDB's own, one per CPU core. Example: 4"),
    /** DuckDB memory limit, e.g. `2GB`. */
    memory_limit: z
      .string()
      .min(1)
      .optional()
      .describe("DuckDB memory limit, in DuckDB's size syntax. Default: DuckDB's own (80% of RAM). Example: 2GB"),
  })
  .strict()
  .describe('DuckDB database file (source and destination), run in-process.');

export type DuckdbConfig = z.infer<typeof duckdbConfigSchema>;

/** The absolute database path (`:memory:` stays as it is). */
export function duckdbDatabasePath(config: DuckdbConfig, ctx: ConnectorContext): string {
  if (config.path === ':memory:' || isAbsolute(config.path)) return config.path;
  return resolve(ctx.projectDir, config.path);
}

/** DuckDB instance options from the config. */
export function duckdbOptions(config: DuckdbConfig): Record<string, string> {
  return {
    ...(config.threads !== undefined ? { threads: String(config.threads) } : {}),
    ...(config.memory_limit !== undefined ? { memory_limit: config.memory_limit } : {}),
  };
}
