import type { CursorState } from '../core/checkpoint.js';
import type { CursorRead } from '../core/connector.js';
import type { LogicalType } from '../core/schema.js';
import { compareValues, decodeValue } from '../core/values.js';
import { MAX_BOUNDARY_KEYS } from './cursor-tracker.js';
import type { PlannedStream } from './plan-streams.js';
import type { ReadPlan } from './read-plan.js';

/**
 * Incremental streams in chunks: every chunk reads the same cursor window,
 * from the checkpoint's value (which does not move while chunks are pending)
 * up to the highest value seen when the chunks were planned. Rows changed
 * later get a higher value and are read by the next run, so advancing the
 * cursor to the highest value the chunks delivered loses nothing.
 */

/** The cursor column's type, or undefined for a stream without a cursor. */
export function cursorType(stream: PlannedStream): LogicalType | undefined {
  return stream.cursor === undefined ? undefined : stream.columns.find((c) => c.name === stream.cursor)?.type;
}

/** The window a chunk reads: the run's lower bound (if any) to `to`, inclusive. */
export function chunkCursorRead(stream: PlannedStream, plan: ReadPlan, to: string): CursorRead | undefined {
  const type = cursorType(stream);
  if (stream.cursor === undefined || type === undefined) return undefined;
  const base = plan.request.cursor;
  return {
    column: stream.cursor,
    type,
    ...(base?.from !== undefined ? { from: base.from } : {}),
    to: decodeValue(type, to),
    // Without a lower bound an unchunked read keeps rows whose cursor is NULL; so does every chunk.
    includeNulls: base?.includeNulls ?? true,
  };
}

/**
 * The cursor state of several chunks together: the highest value, with the
 * keys of the rows carrying it (chunks hold disjoint keys, so keys unite).
 */
export function mergeCursorStates(type: LogicalType, a: CursorState | undefined, b: CursorState): CursorState {
  if (a === undefined || a.value === null) return b;
  if (b.value === null) return a;
  const cmp = compareValues(type.kind, decodeValue(type, a.value), decodeValue(type, b.value));
  if (cmp > 0) return a;
  if (cmp < 0) return b;
  const keys = new Set(a.boundaryKeys);
  for (const key of b.boundaryKeys) if (keys.size < MAX_BOUNDARY_KEYS) keys.add(key);
  return { ...a, boundaryKeys: [...keys] };
}
