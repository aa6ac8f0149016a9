import type { DestinationCapabilities } from '../core/connector.js';
import { ConfigError } from '../core/errors.js';
import { type TableRef, tableRefText } from '../core/schema.js';

/** A stream and where it lands. */
export interface StreamTarget {
  readonly name: string;
  readonly target: TableRef;
}

/** How the destination tells tables apart: exactly, or ignoring case. */
export function targetKey(ref: TableRef, capabilities: DestinationCapabilities): string {
  const text = tableRefText(ref);
  return capabilities.caseInsensitiveNames ? text.toLowerCase() : text;
}

/**
 * The first stream whose target is the same table as an earlier stream's, by
 * the destination's rules (`SameCaseName` and `samecasename` are one table in
 * SQLite and DuckDB: the second load would replace the first).
 */
export function targetCollision<T extends StreamTarget>(streams: readonly T[], capabilities: DestinationCapabilities): { readonly first: T; readonly second: T } | undefined {
  const seen = new Map<string, T>();
  for (const stream of streams) {
    const key = targetKey(stream.target, capabilities);
    const first = seen.get(key);
    if (first) return { first, second: stream };
    seen.set(key, stream);
  }
  return undefined;
}

/** The error for two streams writing one table. */
export function collisionError(first: StreamTarget, second: StreamTarget, capabilities: DestinationCapabilities, where: object = {}): ConfigError {
  const a = tableRefText(first.target);
  const b = tableRefText(second.target);
  const same = a === b ? a : `${a} and ${b} (one table: the destination ignores case in names)`;
  return new ConfigError(`streams "${first.name}" and "${second.name}" both write to ${same}`, {
    ...where,
    stream: second.name,
    hint: capabilities.caseInsensitiveNames && a !== b ? 'give one of them a target whose name differs in more than case' : 'give one of them a target (or target_schema)',
  });
}
