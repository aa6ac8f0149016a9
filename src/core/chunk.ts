import type { ReadRequest } from './connector.js';
import type { LogicalKind } from './schema.js';

/**
 * Chunked reads: a source splits one read into disjoint ranges that together
 * cover every row, so several connections can read (and a killed run can
 * resume) range by range. Ranges are plain JSON: the engine stores them in
 * checkpoints and hands them back verbatim, it never interprets bounds.
 */

/**
 * Rows whose key, compared as a row (`(k1, k2) >= (...)`) in the source's own
 * ordering (Postgres: each column's collation, exactly as the planning query
 * sorted them), lies in `[lower, upper)`. Bounds hold one text per key column in
 * the source's lossless text form; `null` is an open end.
 */
export interface KeyRange {
  readonly kind: 'key';
  readonly columns: readonly string[];
  /**
   * Logical kinds of the key columns, for sources whose bounds are canonical
   * encoded values (`encodeValue`) rendered back as typed literals (MySQL).
   * Absent: the bounds are the source's own text form (Postgres).
   */
  readonly kinds?: readonly LogicalKind[];
  readonly lower: readonly string[] | null;
  readonly upper: readonly string[] | null;
}

/** Rows stored in heap pages `[fromPage, toPage)` (Postgres ctid); `toPage` null is open-ended. */
export interface PageRange {
  readonly kind: 'pages';
  readonly fromPage: number;
  readonly toPage: number | null;
}

export type ChunkRange = KeyRange | PageRange;

/** What `Source.planChunks` returns. */
export interface ChunkPlan {
  /** Disjoint ranges covering the whole read, in key/page order. May be fewer than asked for (small or skewed tables). */
  readonly ranges: readonly ChunkRange[];
  /**
   * Identifies what the ranges depend on (key columns and types, the table's
   * physical identity for page ranges). A stored plan whose fingerprint no
   * longer matches a fresh one must not be resumed.
   */
  readonly fingerprint: string;
  /** How the ranges were chosen, for logs (e.g. "key (id), sampled"). */
  readonly method: string;
  /**
   * When the request names a cursor: the highest cursor value the read sees
   * now, encoded (`encodeValue`); null when no row has one. Chunks of an
   * incremental read all stop there, so the cursor can move to it afterwards.
   */
  readonly cursorMax?: string | null;
}

/**
 * Ask a source for up to `chunks` ranges of `request` (which carries no `chunk`
 * itself). With `chunks: 1` a source answers one unbounded range but still its
 * real fingerprint, cheaply: that is how a stored plan is validated on resume.
 */
export interface ChunkPlanRequest {
  readonly read: ReadRequest;
  readonly chunks: number;
  /** Key columns the stream declares (primary key or `primary_key`); may be empty. */
  readonly key: readonly string[];
  /** Incremental reads: the cursor column, whose current maximum the plan reports as `cursorMax`. */
  readonly cursor?: string;
  /**
   * Prefer ranges in storage order (Postgres: heap pages), where the source has
   * them: the ranges read one after the other then give the rows in the order
   * one unsplit read gives them (an ordered parallel read into one file).
   */
  readonly storageOrder?: boolean;
}

/** Render a range for logs. */
export function chunkRangeText(range: ChunkRange): string {
  if (range.kind === 'pages') return `pages [${range.fromPage}, ${range.toPage ?? '∞'})`;
  const bound = (b: readonly string[] | null, open: string): string => (b === null ? open : `(${b.join(', ')})`);
  return `(${range.columns.join(', ')}) in [${bound(range.lower, '-∞')}, ${bound(range.upper, '∞')})`;
}
