import { createHash } from 'node:crypto';

/** Quote an identifier for SQLite: double quotes, embedded quotes doubled. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A comma-separated list of quoted identifiers. */
export function quoteList(names: readonly string[]): string {
  return names.map(quoteIdentifier).join(', ');
}

/**
 * The staging table of one stream's load. Deterministic, so a load that was
 * killed leaves a table the next attempt drops before it starts.
 */
export function stagingTableName(parts: readonly string[]): string {
  const hash = createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
  return `_ferry_stage_${hash}`;
}
