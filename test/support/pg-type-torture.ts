import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

/** The shared edge-case fixtures (read in place, never copied into the project). */
export const FIXTURES = resolve('../shared/fixtures');

/** Load every table of ../shared/fixtures/pg-type-torture into the database at `url`. */
export function loadPgTypeTorture(url: string): void {
  for (const file of ['all_pg_types.sql', 'decimals.sql', 'other.sql']) {
    execFileSync('psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', join(FIXTURES, 'pg-type-torture', file)], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
}
