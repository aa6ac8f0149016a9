import type { LogicalKind } from '../../core/schema.js';

/**
 * What Ferry's Parquet reader and writer share without loading DuckDB (the
 * writer loads it in the background, while the first records arrive).
 */

/** Key of the Parquet key-value metadata entry where Ferry records logical kinds. */
export const FERRY_COLUMNS_KEY = 'ferry.columns';

/** A column as Ferry wrote it (kept in the file's key-value metadata). */
export interface StoredColumn {
  readonly name: string;
  readonly kind: LogicalKind;
  readonly precision?: number;
  readonly scale?: number;
}

/** Double-quote an identifier for DuckDB SQL. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
