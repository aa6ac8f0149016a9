import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { ConnectorContext } from '../../core/connector.js';

/** Settings of a `type: sqlite` connection in ferry.yml. */
export const sqliteConfigSchema = z
  .object({
    /** Database file; relative paths resolve against the project folder. Created on first write. */
    path: z
      .string()
      .min(1)
      .describe(
        'SQLite database file; a relative path resolves against the project folder; created on first write; `:memory:` for a throwaway database. Example: data/app.db',
      ),
    /** How long a statement waits for another process's write lock before failing. */
    busy_timeout_ms: z
      .number()
      .int()
      .nonnegative()
      .default(5000)
      .describe(
        "Milliseconds a statement waits for another process's write lock before failing (0 fails at once). Default: 5000. Example: 30000",
      ),
  })
  .strict()
  .describe('SQLite database file (source and destination), opened in-process.');

export type SqliteConfig = z.infer<typeof sqliteConfigSchema>;

/** The absolute database path (`:memory:` stays as it is). */
export function sqliteDatabasePath(config: SqliteConfig, ctx: ConnectorContext): string {
  if (config.path === ':memory:' || isAbsolute(config.path)) return config.path;
  return resolve(ctx.projectDir, config.path);
}
