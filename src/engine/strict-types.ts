import type { Destination } from '../core/connector.js';
import { ConfigError } from '../core/errors.js';
import { type Column, logicalTypeText } from '../core/schema.js';
import type { TypeFidelity } from '../core/type-fidelity.js';
import type { PlannedStream } from './plan-streams.js';

/** A column a strict stream cannot write: the destination would map it or refuses it. */
export interface TypeRefusal {
  readonly stream: string;
  readonly column: string;
  /** The source's native type and the logical type, e.g. `interval (logical interval)`. */
  readonly sourceType: string;
  readonly fidelity: TypeFidelity;
}

function sourceTypeText(column: Column): string {
  const logical = logicalTypeText(column.type);
  return column.sourceType === undefined ? logical : `${column.sourceType} (logical ${logical})`;
}

/**
 * Columns of strict streams (`strict_types`, or every stream when `all`) that
 * the destination does not hold exactly, in stream and column order.
 */
export function strictTypeRefusals(planned: readonly PlannedStream[], destination: Destination, all: boolean): TypeRefusal[] {
  const refusals: TypeRefusal[] = [];
  for (const stream of planned) {
    if (!all && !stream.strictTypes) continue;
    for (const column of stream.columns) {
      const fidelity = destination.typeFidelity(column, stream.target);
      if (fidelity.level !== 'exact') refusals.push({ stream: stream.name, column: column.name, sourceType: sourceTypeText(column), fidelity });
    }
  }
  return refusals;
}

/** One line per refused column: stream, column, source type, destination type and the mapping. */
export function refusalText(r: TypeRefusal): string {
  const how = r.fidelity.level === 'mapped' ? `mapped: ${r.fidelity.note}` : `refused: ${r.fidelity.note}`;
  return `stream ${r.stream}, column "${r.column}": ${r.sourceType} -> ${r.fidelity.nativeType} (${how})`;
}

/**
 * Strict types: refuse the run before anything is written when a strict stream
 * has a column the destination would only map (or cannot hold), naming every
 * such stream and column at once.
 */
export function refuseMappedTypes(planned: readonly PlannedStream[], destination: Destination, all: boolean): void {
  const refusals = strictTypeRefusals(planned, destination, all);
  if (refusals.length === 0) return;
  const streams = [...new Set(refusals.map((r) => r.stream))];
  const first = planned.find((s) => s.name === refusals[0]?.stream);
  throw new ConfigError(`strict types: ${streams.length} stream(s) have columns the destination would not hold exactly; nothing was written\n  ${refusals.map(refusalText).join('\n  ')}`, {
    ...(first ? { file: first.location.file, line: first.location.line, column: first.location.column } : {}),
    ...(streams.length === 1 ? { stream: streams[0] } : {}),
    key: 'strict_types',
    hint: 'drop the columns (exclude_columns), cast them in a sql: query, choose a destination that holds the types, or accept the documented mappings (docs/fidelity.md) by turning strict_types off',
  });
}
