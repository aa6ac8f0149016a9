import { isAbsolute, resolve } from 'node:path';
import { ConfigError, redact } from '../core/errors.js';

/** Where the state lives, parsed from the `state:` URL of ferry.yml. */
export type StateLocation =
  | { readonly kind: 'sqlite'; readonly file: string }
  | { readonly kind: 'sqlite-memory' }
  | { readonly kind: 'postgres'; readonly connectionString: string; readonly schema?: string };

export const STATE_URL_FORMS = 'sqlite:.ferry/state.db, sqlite::memory:, postgres://user@host:5432/db?schema=ferry';

// Lower case only: search_path folds unquoted names, while CREATE SCHEMA is quoted by Kysely.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Parse a state URL. `sqlite:` paths are relative to the project folder;
 * `?schema=` on a Postgres URL is Ferry's own and is not passed to the server.
 * @example parseStateUrl('sqlite:.ferry/state.db', '/home/me/shop') // { kind: 'sqlite', file: '/home/me/shop/.ferry/state.db' }
 */
export function parseStateUrl(url: string, projectDir: string): StateLocation {
  if (url === 'sqlite::memory:') return { kind: 'sqlite-memory' };
  if (url.startsWith('sqlite:')) return { kind: 'sqlite', file: sqliteFile(url, projectDir) };
  if (/^postgres(ql)?:\/\//.test(url)) return postgresLocation(url);
  throw new ConfigError(`unsupported state store URL "${redact(url)}"`, {
    key: 'state',
    hint: `use one of: ${STATE_URL_FORMS}`,
  });
}

function sqliteFile(url: string, projectDir: string): string {
  // Accept `sqlite:///abs/path` and `sqlite://rel` as well as the documented `sqlite:path`.
  const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '').replace(/^\/\//, '');
  if (path === '') throw new ConfigError('state store URL "sqlite:" names no file', { key: 'state', hint: 'e.g. state: sqlite:.ferry/state.db' });
  return isAbsolute(path) ? path : resolve(projectDir, path);
}

function postgresLocation(url: string): StateLocation {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new ConfigError(`state store URL "${redact(url)}" is not a valid Postgres URL`, {
      key: 'state',
      hint: 'postgres://user:${PASSWORD}@host:5432/database; percent-encode special characters in the password',
      cause,
    });
  }
  const schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new ConfigError(`state store schema "${schema}" is not a plain identifier`, {
      key: 'state',
      hint: 'use lower-case letters, digits and underscores, e.g. ?schema=ferry',
    });
  }
  return { kind: 'postgres', connectionString: parsed.toString(), ...(schema === undefined ? {} : { schema }) };
}
