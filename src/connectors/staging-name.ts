import { createHash, randomUUID } from 'node:crypto';

/** Prefix of the staging tables of the Postgres and MySQL writers (catalogs hide them). */
export const STAGING_PREFIX = '_ferry_stage_';

/** The first 10 hex digits of the SHA-256 of `parts` joined by NUL. */
export function shortHash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 10);
}

export interface StagingNameParts {
  readonly sync: string;
  readonly stream: string;
  readonly target: string;
  readonly runId: string;
}

/**
 * `_ferry_stage_<hash of sync, stream, target>_<hash of run and writer>`:
 * unique per writer, so a retry never meets a leftover, and short enough for
 * MySQL's 64-character names.
 */
export function stagingName(parts: StagingNameParts): string {
  return `${STAGING_PREFIX}${shortHash(parts.sync, parts.stream, parts.target)}_${shortHash(parts.runId, randomUUID()).slice(0, 8)}`;
}
