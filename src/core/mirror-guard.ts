import type { MirrorOptions } from './connector.js';
import { ConfigError, DataError } from './errors.js';

/** Live target rows in the mirror's scope, and how many of them the load lacks. */
export interface MirrorCounts {
  readonly live: number;
  readonly missing: number;
}

/**
 * Whether a destination must count the rows in scope before deleting: only a
 * guard that could refuse needs the numbers (the count is a scan of the target).
 */
export function mirrorGuardNeeded(options: MirrorOptions, staged: number): boolean {
  return options.maxDeletePercent !== undefined || (staged === 0 && !options.allowEmpty);
}

export interface MirrorGuardInput {
  readonly stream: string;
  /** The target, for messages. */
  readonly target: string;
  readonly options: MirrorOptions;
  /** Rows the load staged. */
  readonly staged: number;
  readonly counts: MirrorCounts;
}

/**
 * Refuse a mirror whose deletes look like a broken read rather than real
 * deletes: an empty load that would empty the scope (a source query that
 * failed open, a wrong `where`, an unmounted folder), or more than
 * `maxDeletePercent` of the live rows. Throws a DataError; the caller rolls
 * back, so nothing is merged or deleted.
 */
export function checkMirrorGuard(input: MirrorGuardInput): void {
  const { options, counts, staged } = input;
  const scope = options.scope !== undefined ? ` matching mirror_scope (${options.scope})` : '';
  if (staged === 0 && counts.missing > 0 && !options.allowEmpty) {
    throw new DataError(`the source returned no rows; mirroring would delete all ${counts.live} rows of ${input.target}${scope}. Nothing was changed`, {
      stream: input.stream,
      hint: 'if the source really is empty, set mirror_allow_empty: true on the stream',
    });
  }
  const limit = options.maxDeletePercent;
  if (limit === undefined || counts.missing === 0) return;
  const percent = counts.live === 0 ? 0 : (counts.missing / counts.live) * 100;
  if (percent > limit) {
    throw new DataError(
      `mirroring would delete ${counts.missing} of the ${counts.live} rows of ${input.target}${scope} (${percent.toFixed(1)}%), more than mirror_max_delete_percent (${limit}%). Nothing was changed`,
      { stream: input.stream, hint: 'check the source read; if the deletes are real, raise mirror_max_delete_percent for one run' },
    );
  }
}

/**
 * A mirror statement the database could not compile (unknown column, syntax
 * error) fails because of `mirror_scope`, the only user SQL in it: say so.
 */
export function mirrorScopeError(error: unknown, input: { readonly stream: string; readonly target: string; readonly options: MirrorOptions }): ConfigError {
  const reason = error instanceof Error ? error.message : String(error);
  return new ConfigError(`mirror_scope (${input.options.scope ?? ''}) cannot be applied to ${input.target}: ${reason}`, {
    stream: input.stream,
    key: 'mirror_scope',
    hint: "mirror_scope is a SQL predicate on the target table's columns, e.g. \"tenant_id = 7\"",
    cause: error,
  });
}
