import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { ConnectorContext } from '../../core/connector.js';

/** Settings of a `type: duckdb` connection in ferry.yml. */
export const duckdbConfigSchema = z
  .object({
    /** Database file relative to the project folder, or `:memory:`. */
    path: z.string().min(1),
    /** Schema for tables written without one, and for Ferry's checkpoints. */
    schema: z.string().min(1).default('main'),
    /** DuckDB worker threads (default: DuckDB's, one per core). */
    threads: z.number().int().positive().optional(),
    /** DuckDB memory limit, e.g. `2GB`. */
    memory_limit: z.string().min(1).optional(),
  })
  .strict();

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
