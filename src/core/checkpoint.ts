import type { ChunkRange } from './chunk.js';
import type { LogicalKind } from './schema.js';

/** A JSON-serializable value. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** Incremental cursor progress for one stream. */
export interface CursorState {
  readonly column: string;
  readonly kind: LogicalKind;
  /** Highest cursor value delivered, encoded with `encodeValue`; null when no row had one. */
  readonly value: string | null;
  /**
   * Keys (each a JSON array of encoded key values) of the rows whose cursor equals
   * `value`. The next run reads `cursor >= value` and skips these, so an
   * inclusive cursor neither loses late rows with the same value nor duplicates.
   */
  readonly boundaryKeys: readonly string[];
}

/**
 * A chunked read in progress: the plan and the chunks whose rows are committed.
 * Kept apart from `cursor`, which does not move until every chunk is done.
 */
export interface ChunkProgress {
  /** Run that made the plan. */
  readonly runId: string;
  /** Hash of what the plan depends on (read SQL, columns, key, write, target, source fingerprint). */
  readonly settings: string;
  readonly ranges: readonly ChunkRange[];
  /** Indexes into `ranges` whose rows are committed. */
  readonly done: readonly number[];
  /** Rows committed by the done chunks. */
  readonly rows: number;
  /** Incremental reads: upper end (encoded, inclusive) of the cursor window every chunk reads. */
  readonly cursorTo?: string;
  /** Incremental reads: the cursor state of the done chunks together; becomes `cursor` when all are done. */
  readonly cursor?: CursorState;
}

export interface CheckpointState {
  readonly cursor?: CursorState;
  readonly chunks?: ChunkProgress;
  readonly [key: string]: Json | CursorState | ChunkProgress | undefined;
}

/**
 * What a stream has durably delivered. `seq` orders checkpoints across the
 * state store and the destination: the higher one wins on resume, so a reset in
 * the state store beats an older checkpoint kept in the destination.
 */
export interface Checkpoint {
  readonly sync: string;
  readonly stream: string;
  readonly runId: string;
  readonly seq: number;
  readonly state: CheckpointState;
}

/** Serialize for storage. */
export function checkpointStateJson(state: CheckpointState): string {
  return JSON.stringify(state);
}

/** Pick the newer of two checkpoints (either may be missing). */
export function newerCheckpoint(a: Checkpoint | undefined, b: Checkpoint | undefined): Checkpoint | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b.seq > a.seq ? b : a;
}
