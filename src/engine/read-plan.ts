import type { CursorState, Checkpoint } from '../core/checkpoint.js';
import { newerCheckpoint } from '../core/checkpoint.js';
import type { Destination, ReadRequest } from '../core/connector.js';
import { ConfigError } from '../core/errors.js';
import type { Value } from '../core/schema.js';
import { decodeValue, parseUserValue } from '../core/values.js';
import type { StateStore } from '../state/state-store.js';
import type { PlannedStream } from './plan-streams.js';

export interface ReadPlan {
  readonly request: ReadRequest;
  /** The checkpoint the read starts from (newest of state store and destination). */
  readonly previous: Checkpoint | undefined;
  /** Boundary state to skip already-delivered rows; absent when the bound came from the user. */
  readonly boundary: CursorState | undefined;
  /** Human-readable origin of the lower bound, for logs. */
  readonly from: string;
}

export interface ReadPlanOptions {
  readonly sync: string;
  readonly stream: PlannedStream;
  readonly state: StateStore;
  readonly destination: Destination;
  readonly fullRefresh: boolean;
  readonly cursorValue?: string;
}

/**
 * Decide where a stream's read starts. The newer of the state store's and the
 * destination's checkpoint wins: the destination's is committed with the data,
 * so it is never behind; a `state reset` in the store has a higher seq and wins.
 */
export async function planRead(options: ReadPlanOptions): Promise<ReadPlan> {
  const { stream } = options;
  const stored = await options.state.getCheckpoint(options.sync, stream.name);
  const committed = options.destination.capabilities.transactional
    ? await options.destination.readCheckpoint(options.sync, stream.name)
    : undefined;
  const previous = newerCheckpoint(stored, committed);
  const base: ReadRequest = {
    stream: stream.name,
    target: stream.read,
    columns: stream.columns.map((c) => c.name),
    ...(stream.where !== undefined ? { where: stream.where } : {}),
    ...(stream.filters.length > 0 ? { filters: stream.filters } : {}),
    batchSize: stream.batchSize,
  };
  if (stream.mode !== 'incremental' || stream.cursor === undefined) {
    return { request: base, previous, boundary: undefined, from: 'full table' };
  }
  const column = stream.columns.find((c) => c.name === stream.cursor);
  if (!column) throw new ConfigError(`cursor column "${stream.cursor}" not found`, { stream: stream.name });
  const bound = lowerBound(options, column.type, previous);
  if (bound.value === undefined) return { request: base, previous, boundary: undefined, from: bound.from };
  return {
    request: {
      ...base,
      cursor: { column: column.name, type: column.type, from: bound.value, includeNulls: stream.nullCursor === 'include' },
    },
    previous,
    boundary: bound.boundary,
    from: bound.from,
  };
}

interface Bound {
  readonly value: Value | undefined;
  readonly boundary: CursorState | undefined;
  readonly from: string;
}

function lowerBound(options: ReadPlanOptions, type: Parameters<typeof parseUserValue>[0], previous: Checkpoint | undefined): Bound {
  const { stream } = options;
  if (options.cursorValue !== undefined) {
    return { value: parseBound(type, options.cursorValue, stream.name, '--cursor-value'), boundary: undefined, from: `--cursor-value ${options.cursorValue}` };
  }
  if (options.fullRefresh) return { value: undefined, boundary: undefined, from: 'full refresh' };
  const cursor = previous?.state.cursor;
  if (cursor && cursor.column === stream.cursor && cursor.value !== null) {
    return { value: decodeValue(type, cursor.value), boundary: cursor, from: `checkpoint ${cursor.value}` };
  }
  if (stream.cursorStart !== undefined) {
    return { value: parseBound(type, stream.cursorStart, stream.name, 'cursor_start'), boundary: undefined, from: `cursor_start ${stream.cursorStart}` };
  }
  return { value: undefined, boundary: undefined, from: 'first run (no checkpoint)' };
}

function parseBound(type: Parameters<typeof parseUserValue>[0], text: string, stream: string, key: string): Value {
  try {
    return parseUserValue(type, text);
  } catch (error) {
    throw new ConfigError(`${key} "${text}" is not a valid ${type.kind}`, { stream, key, cause: error });
  }
}
