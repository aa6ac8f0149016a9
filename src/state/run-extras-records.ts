/** Records of a run's watermarks and hooks, as the state store keeps them. */

/** Where a watermark's value came from. */
export const WATERMARK_ORIGINS = ['query', 'default', 'null'] as const;
export type WatermarkOrigin = (typeof WATERMARK_ORIGINS)[number];

export interface RunWatermarkRecord {
  readonly runId: string;
  /** The stream that declared it; null for a watermark of the whole sync. */
  readonly stream: string | null;
  readonly name: string;
  /** Connection the resolver query ran on. */
  readonly connection: string;
  readonly sql: string;
  /** The value as canonical text (base64 for bytes); null for SQL NULL. */
  readonly value: string | null;
  /** Logical kind of the value (the query column's type). */
  readonly kind: string;
  /** query: the query's first cell; default: `default` (no row, NULL, or the query failed); null: no row/NULL and no default. */
  readonly origin: WatermarkOrigin;
  /** The SQL literal substituted for `{name}` in the source's dialect. */
  readonly literal: string;
  /** Why the query's value was not used (it failed), when `default` replaced it. */
  readonly error: string | null;
  readonly resolvedAt: string;
}

export const HOOK_STATUSES = ['success', 'failed', 'skipped'] as const;
export type HookStatus = (typeof HOOK_STATUSES)[number];

/** The first rows a hook returned, values as text (bounded). */
export interface HookOutput {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | null)[])[];
  readonly truncated: boolean;
}

export interface RunHookRecord {
  readonly runId: string;
  /** Order of the hook in the run (stream hooks of concurrent streams interleave by when they ran). */
  readonly seq: number;
  /** The stream it followed; null for a sync hook. */
  readonly stream: string | null;
  readonly sql: string;
  readonly runOn: 'success' | 'failure' | 'always';
  /** skipped: its run_on did not match the outcome, or an earlier hook failed. */
  readonly status: HookStatus;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly rowsAffected: number | null;
  readonly output: HookOutput | null;
  /** The failure, or why it was skipped. */
  readonly error: string | null;
}
