import type { Column, Row } from './schema.js';

/**
 * What `execute` returns: the result's columns with logical types, its first
 * rows as canonical values (at most `maxRows`), and how many rows a data
 * change touched where the engine reports it.
 */
export interface SqlResult {
  readonly columns: readonly Column[];
  readonly rows: readonly Row[];
  /** More rows were returned than `rows` holds. */
  readonly truncated: boolean;
  /** Rows inserted/updated/deleted by a data change; null when the statement returns rows or the engine does not say. */
  readonly rowsAffected: number | null;
}

export interface ExecuteOptions {
  /** Keep at most this many result rows (default 100). */
  readonly maxRows?: number;
  readonly signal?: AbortSignal;
}

/**
 * Run one SQL statement on a connection (hooks, watermark resolvers). The SQL
 * is trusted: it comes from the project files. Implemented by SQL connectors.
 */
export interface SqlExecutor {
  execute(sql: string, options?: ExecuteOptions): Promise<SqlResult>;
}

export const DEFAULT_MAX_ROWS = 100;
